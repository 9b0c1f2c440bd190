import Foundation
import Testing

@testable import AutoLabel

@Suite struct `Report tables` {
    func file(_ stem: String, of summary: RunSummary = ReportFixture.summary()) throws -> ReportTableFile {
        try #require(ReportTables.files(summary).first { $0.stem == stem }, "no \(stem) table")
    }

    @Test func `Table 1 has the paper's columns, the labels added, and the summary's counts`() throws {
        let table1 = try file("table1")
        #expect(
            table1.csv == """
                iteration,train images,train labels,val images,val labels,total labels,labels added
                0,40,60,10,15,75,0
                1,40,70,10,17,87,12
                2,40,76,10,18,94,7

                """)
        #expect(
            table1.markdown == """
                **Table 1. Images and labels per iteration**

                | iteration | train images | train labels | val images | val labels | total labels | labels added |
                | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
                | 0 | 40 | 60 | 10 | 15 | 75 | 0 |
                | 1 | 40 | 70 | 10 | 17 | 87 | 12 |
                | 2 | 40 | 76 | 10 | 18 | 94 | 7 |

                """)
        // Every count read back from the CSV is the summary's.
        let rows = table1.csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map { Int($0)! } }
        let summary = ReportFixture.summary()
        #expect(
            rows
                == summary.iterations.map {
                    [
                        $0.index, $0.train.images, $0.train.labels, $0.val.images, $0.val.labels, $0.totalLabels,
                        $0.train.added + $0.val.added,
                    ]
                })
    }

    @Test func `Table 1 gains what became of each iteration's labels once a person reviewed them`() throws {
        var summary = ReportFixture.summary()
        var originals = ProvenanceCounts(), first = ProvenanceCounts(), second = ProvenanceCounts()
        originals.original = 75
        (first.generated, first.accepted, first.corrected, first.rejected) = (3, 5, 3, 1)
        (second.generated, second.added) = (7, 1)
        summary.provenance = [0: originals, 1: first, 2: second]
        #expect(
            try file("table1", of: summary).csv == """
                iteration,train images,train labels,val images,val labels,total labels,labels added,original,generated,accepted,corrected,rejected,added by a person
                0,40,60,10,15,75,0,75,0,0,0,0,0
                1,40,70,10,17,87,12,0,3,5,3,1,0
                2,40,76,10,18,94,7,0,7,0,0,0,1

                """)
    }

    @Test func `Table 2 has a block for the own val and one for the fixed val`() throws {
        let table2 = try file("table2")
        #expect(
            table2.csv == """
                val,iteration,val labels,box P,box R,box AP50,box AP50-95,pose P,pose R,pose AP50,pose AP50-95,landmark MSE px2,NME
                own,0,15,0.915,0.9,0.913,0.628,0.88,0.85,0.87,0.55,12.5,0.0456
                own,1,17,0.953,0.927,0.959,0.684,0.9,0.88,0.9,0.6,10.3,0.041
                own,2,18,0.96,0.93,0.96,0.69,0.91,0.89,0.91,0.61,9.5,0.0392
                fixed,0,15,0.915,0.9,0.913,0.628,0.88,0.85,0.87,0.55,12.5,0.0456
                fixed,1,15,0.93,0.91,0.94,0.65,0.89,0.86,0.88,0.57,11,0.043
                fixed,2,15,0.94,0.92,0.95,0.66,0.9,0.87,0.89,0.58,,

                """)
        #expect(
            table2.markdown == """
                **Table 2a. Metrics on each iteration's own val labels (as the paper reports them), %**

                | iteration | val labels | box P | box R | box AP50 | box AP50-95 | pose P | pose R | pose AP50 | pose AP50-95 | MSE px² | NME |
                | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
                | 0 | 15 | 91.5 | 90.0 | 91.3 | 62.8 | 88.0 | 85.0 | 87.0 | 55.0 | 12.5 | 4.56 |
                | 1 | 17 | 95.3 | 92.7 | 95.9 | 68.4 | 90.0 | 88.0 | 90.0 | 60.0 | 10.3 | 4.10 |
                | 2 | 18 | 96.0 | 93.0 | 96.0 | 69.0 | 91.0 | 89.0 | 91.0 | 61.0 | 9.5 | 3.92 |

                **Table 2b. Metrics on the original val labels (comparable across iterations, but incomplete), %**

                | iteration | val labels | box P | box R | box AP50 | box AP50-95 | pose P | pose R | pose AP50 | pose AP50-95 | MSE px² | NME |
                | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
                | 0 | 15 | 91.5 | 90.0 | 91.3 | 62.8 | 88.0 | 85.0 | 87.0 | 55.0 | 12.5 | 4.56 |
                | 1 | 15 | 93.0 | 91.0 | 94.0 | 65.0 | 89.0 | 86.0 | 88.0 | 57.0 | 11.0 | 4.30 |
                | 2 | 15 | 94.0 | 92.0 | 95.0 | 66.0 | 90.0 | 87.0 | 89.0 | 58.0 | – | – |

                """)
    }

    @Test func `the label quality table holds the generated labels' precision, recall and NME`() throws {
        let quality = try file("quality")
        #expect(
            quality.csv == """
                iteration,trained on,generated,correct,unlabelled faces,precision,recall,NME
                0,yes,,,,,,
                1,yes,12,11,30,0.916667,0.366667,0.05
                2,yes,19,18,30,0.947368,0.6,

                """)
        #expect(
            quality.markdown.hasSuffix(
                """
                | 0 | yes | – | – | – | – | – | – |
                | 1 | yes | 12 | 11 | 30 | 91.7 | 36.7 | 5.00 |
                | 2 | yes | 19 | 18 | 30 | 94.7 | 60.0 | – |

                """))
    }

    @Test func `the pass that stopped the run adds a row with every label of the last data set`() throws {
        var summary = ReportFixture.summary(stoppedBecause: "iteration 3 added 2 labels, fewer than --stop-below 2%")
        summary.stoppingPass = StoppingPass(
            index: 3, added: 2,
            quality: LabelQuality(generated: 21, correct: 19, unlabelledFaces: 30, precision: 19.0 / 21, recall: 19.0 / 30, nme: 0.052))
        let quality = try file("quality", of: summary)
        #expect(quality.csv.hasSuffix("2,yes,19,18,30,0.947368,0.6,\n3,no (stopped the run),21,19,30,0.904762,0.633333,0.052\n"))
    }

    @Test func `the paper protocol has Table 2 on the own val only and no quality table`() throws {
        let summary = ReportFixture.summary(protocolName: .paper)
        #expect(ReportTables.files(summary).map(\.stem) == ["table1", "table2"])
        let table2 = try file("table2", of: summary)
        #expect(table2.blocks.map(\.key) == ["own"])
        #expect(table2.csv.split(separator: "\n").count == 4)
        #expect(!table2.markdown.contains("Table 2b"))
    }
}
