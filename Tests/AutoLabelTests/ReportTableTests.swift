import Foundation
import Testing

@testable import AutoLabel

@Suite struct `Report table` {
    let table = ReportTable(
        title: "Table X. A | B",
        columns: [
            .init("name", .text), .init("count", .count), .init("share", .percent(decimals: 1)),
            .init("mse px2", heading: "MSE px²", .decimal(1)),
        ],
        rows: [
            [.text("a, \"quoted\""), .count(3), .number(0.9166666), .number(10.34)],
            [.text("<b>"), .count(nil), .number(nil), .number(nil)],
        ])

    @Test func `CSV holds raw numbers, quotes fields with commas or quotes, and leaves missing values empty`() {
        #expect(table.csv == "name,count,share,mse px2\n\"a, \"\"quoted\"\"\",3,0.916667,10.34\n<b>,,,\n")
    }

    @Test func `CSV writes whole numbers without a decimal point`() {
        #expect(ReportTable.csvText(.number(11)) == "11")
        #expect(ReportTable.csvText(.number(0)) == "0")
        #expect(ReportTable.csvText(.number(0.5)) == "0.5")
        #expect(ReportTable.csvText(.number(0.000012345)) == "1.2345e-05")
    }

    @Test func `Markdown shows fractions as percentages with one decimal and missing values as a dash`() {
        #expect(
            table.markdown == """
                **Table X. A \\| B**

                | name | count | share | MSE px² |
                | --- | ---: | ---: | ---: |
                | a, "quoted" | 3 | 91.7 | 10.3 |
                | <b> | – | – | – |

                """)
    }

    @Test func `HTML escapes text and puts the title in the caption`() {
        #expect(table.html.contains("<caption>Table X. A | B</caption>"))
        #expect(table.html.contains("<th>MSE px²</th>"))
        #expect(table.html.contains("<tr><td class=\"text\">a, &quot;quoted&quot;</td><td>3</td><td>91.7</td><td>10.3</td></tr>"))
        #expect(table.html.contains("<tr><td class=\"text\">&lt;b&gt;</td><td>–</td><td>–</td><td>–</td></tr>"))
    }
}
