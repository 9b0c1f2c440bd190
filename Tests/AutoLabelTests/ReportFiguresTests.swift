import Foundation
import Imaging
import PoseData
import Synth
import Testing

@testable import AutoLabel

extension PoseInstance {
    /// The label of a face of a `size` × `size` image in its top `height` rows (the rows cut away
    /// below take none of the face's points, which stay where they are).
    fileprivate func normalised(croppedTo height: Int, of size: Int) -> PoseInstance {
        let factor = Double(size) / Double(height)
        var label = self
        label.box = BoundingBox(minX: box.minX, minY: min(box.minY * factor, 1), maxX: box.maxX, maxY: min(box.maxY * factor, 1))
        label.keypoints = keypoints.map { Keypoint(x: $0.x, y: min($0.y * factor, 1), visibility: $0.visibility) }
        return label
    }
}

/// The elements named `tag` in SVG markup, each as its attributes (and its text, under "text").
func elements(_ tag: String, in svg: String) -> [[String: String]] {
    let pattern = try! NSRegularExpression(pattern: "<\(tag)\\b([^>]*?)/?>(?:([^<]*)</\(tag)>)?")
    let range = NSRange(svg.startIndex..., in: svg)
    return pattern.matches(in: svg, range: range).map { match in
        var result: [String: String] = [:]
        let attributes = String(svg[Range(match.range(at: 1), in: svg)!])
        let pair = try! NSRegularExpression(pattern: "([\\w:-]+)=\"([^\"]*)\"")
        for found in pair.matches(in: attributes, range: NSRange(attributes.startIndex..., in: attributes)) {
            result[String(attributes[Range(found.range(at: 1), in: attributes)!])] = String(
                attributes[Range(found.range(at: 2), in: attributes)!])
        }
        if let text = Range(match.range(at: 2), in: svg) { result["text"] = String(svg[text]) }
        return result
    }
}

/// The markup of each `<g class="cell">` of Figure 2, by (row, column).
func cells(in svg: String) -> [[Int]: String] {
    var result: [[Int]: String] = [:]
    for part in svg.components(separatedBy: "<g class=\"cell\"").dropFirst() {
        let attributes = elements("g", in: "<g" + part.prefix { $0 != ">" } + ">")[0]
        let body = part.components(separatedBy: "<text")[0]  // the cell's shapes, up to its caption
        result[[Int(attributes["data-row"]!)!, Int(attributes["data-column"]!)!]] = body
    }
    return result
}

@Suite struct `Sample grid` {
    /// Figure 2 of the fixture's samples.
    func figure() throws -> (svg: String, folder: URL) {
        let folder = try ReportFixture.temporaryFolder()
        return (try SampleGrid.svg(try ReportFixture.samples(in: folder), iterations: 3).markup(standalone: true), folder)
    }

    @Test func `the figure has a column per iteration and a row per sample, and says so in words`() throws {
        let (svg, folder) = try figure()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 2 margins of 12 + 3 cells of 256 + 2 gaps of 10; header 56 + 2 × (256 + 16 + 10) + legend 36.
        let root = elements("svg", in: svg)[0]
        #expect(root["width"] == "812" && root["height"] == "656" && root["viewBox"] == "0 0 812 656")
        #expect(cells(in: svg).keys.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) } == [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]])
        #expect(SampleGrid.fitted(width: 100, height: 80) == (256, 205, 0, 25))
        #expect(SampleGrid.fitted(width: 96, height: 192) == (128, 256, 64, 0))
        let words = elements("text", in: svg).compactMap { $0["text"] }
        for expected in [
            "Iter 0", "Iter 1", "Iter 2", "1 label", "2 labels, 1 generated (1 new)", "3 labels, 2 generated (1 new)", "Original labels",
            "Added by iter 2",
        ] {
            #expect(words.contains(expected), "\(expected)")
        }
        // each image once, as a JPEG, placed in every cell of its row
        #expect(
            elements("image", in: svg).count == 2
                && elements("image", in: svg).allSatisfy { $0["href"]!.hasPrefix("data:image/jpeg;base64,") })
        #expect(elements("use", in: svg).count == 6)
    }

    @Test func `original labels keep their colour and generated labels take the colour of the iteration that added them`() throws {
        let (svg, folder) = try figure()
        defer { try? FileManager.default.removeItem(at: folder) }
        let colours = [nil, 1, 2].map { ReportColors.label(addedBy: $0).hex }
        #expect(Set(colours).count == 3)
        let fit = SampleGrid.fitted(width: 100, height: 80)
        let cells = cells(in: svg)
        for column in 0..<3 {
            let labels = elements("g", in: cells[[0, column]]!).filter { $0["class"] == "label" }.map { $0["data-added-by"]! }
            // generated labels are drawn first, so that the originals are on top
            #expect(labels == Array(["2", "1"].suffix(column)) + ["original"], "iteration \(column)")
            let boxes = elements("rect", in: cells[[0, column]]!).filter { $0["stroke"] != nil }
            #expect(boxes.map { $0["stroke"]! } == Array([colours[2], colours[1]].suffix(column)) + [colours[0]])
            // the original label's box where the label says, in the fitted image
            let origin = SampleGrid(rows: 2, columns: 3).cellOrigin(row: 0, column: column)
            let expected = Double(origin.x + fit.x) + ReportFixture.original.box.minX * Double(fit.width)
            #expect(abs(Double(boxes.last!["x"]!)! - expected) < 0.01)
        }
    }

    @Test func `no iteration's colour is the originals' colour`() {
        for iteration in 1...20 { #expect(ReportColors.label(addedBy: iteration) != ReportColors.original) }
    }

    @Test func `an EXIF-turned photo is drawn upright with its labels where the upright one has them`() throws {
        let folder = try ReportFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let options = SynthDataset.Options(imageSize: 256, faces: 2...2)
        let sample = try SynthDataset.sample(1, options: options)
        let upright = sample.image.cropped(x: 0, y: 0, width: 256, height: 200)
        let labels = [sample.truth.map { FigureSample.Label(instance: $0.normalised(croppedTo: 200, of: 256), addedBy: nil) }]
        let (plain, turned) = (folder.appendingPathComponent("upright.png"), folder.appendingPathComponent("turned.jpg"))
        try ImageCodec.write(upright, to: plain)
        try ImageCodec.encodeJPEG(upright.applying(.left), quality: 100, orientation: .right).write(to: turned)
        let a = try SampleGrid.svg([FigureSample(image: plain, labels: labels)], iterations: 1).markup(standalone: true)
        let b = try SampleGrid.svg([FigureSample(image: turned, labels: labels)], iterations: 1).markup(standalone: true)
        // the same labels in the same places, over the same picture
        #expect(cells(in: a) == cells(in: b))
        func picture(_ svg: String) throws -> RGBImage {
            let href = try #require(elements("image", in: svg).first?["href"])
            return try ImageCodec.decode(Data(base64Encoded: String(href.dropFirst("data:image/jpeg;base64,".count)))!, name: "tile")
        }
        let (x, y) = (try picture(a), try picture(b))
        #expect(x.width == 256 && x.height == 200 && y.width == 256 && y.height == 200)
        let difference = zip(x.pixels, y.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +)
        #expect(Double(difference) / Double(x.pixels.count) < 6)
    }

    @Test func `a sample image that cannot be read is an error naming the file`() throws {
        let missing = FigureSample(image: URL(fileURLWithPath: "/nonexistent/face.png"), labels: [[]])
        #expect {
            try SampleGrid.svg([missing], iterations: 1)
        } throws: { error in
            String(describing: error).contains("/nonexistent/face.png")
        }
    }
}

@Suite struct `Count chart` {
    @Test func `the axis ends at a round number above the largest count`() {
        let chart = CountChart(ReportFixture.summary())
        #expect(chart.step == 20 && chart.axisTop == 100)
        #expect(CountChart.niceStep(18.8) == 20 && CountChart.niceStep(0.3) == 0.5 && CountChart.niceStep(1000) == 1000)
        let empty = CountChart(RunSummary(data: "d", settings: RefineSettings(), iterations: [], stoppedBecause: nil))
        #expect(empty.step == 1 && empty.axisTop == 1)
    }

    @Test func `every bar has its series' colour and the height of its count, and every count and axis is written out`() throws {
        let summary = ReportFixture.summary()
        let svg = CountChart.svg(summary).markup(standalone: true)
        let root = elements("svg", in: svg)[0]
        #expect(root["width"] == "760" && root["height"] == "440")
        let chart = CountChart(summary)
        let bars = elements("rect", in: svg).filter { $0["class"] == "bar" }
        #expect(bars.count == 9)
        for (group, iteration) in summary.iterations.enumerated() {
            for (series, value) in CountChart.values(iteration).enumerated() {
                let (minX, maxX) = chart.bar(group: group, series: series)
                let top = chart.y(Double(value)).rounded()
                let bar = try #require(
                    bars.first { $0["data-iteration"] == "\(iteration.index)" && $0["data-series"] == CountChart.seriesNames[series] })
                #expect(Double(bar["x"]!) == minX && Double(bar["width"]!) == maxX - minX, "iteration \(group), series \(series)")
                #expect(
                    Double(bar["y"]!) == top && Double(bar["height"]!) == CountChart.bottom - top, "iteration \(group), series \(series)")
                #expect(bar["fill"] == ReportColors.series[series].hex)
            }
        }
        let words = elements("text", in: svg).compactMap { $0["text"] }
        for expected in ["0", "20", "40", "60", "80", "100", "75", "94", "train", "val", "total", "iteration", "labels"] {
            #expect(words.contains(expected), "\(expected)")
        }
    }
}
