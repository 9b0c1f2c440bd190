import Foundation
import PoseData
import Testing

@testable import AutoLabel
import Imaging
import Synth

/// The pixel of `image` at (`x`, `y`) as a comparable triple.
private func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> [UInt8] {
    let value = image[x, y]
    return [value.r, value.g, value.b]
}

private func bytes(_ color: Color) -> [UInt8] {
    let value = ReportColors.bytes(color)
    return [value.r, value.g, value.b]
}

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

@Suite struct `Sample grid` {
    /// Figure 2 drawn from the fixture's samples and decoded from its PNG.
    func figure() throws -> (image: RGBImage, folder: URL) {
        let folder = try ReportFixture.temporaryFolder()
        let samples = try ReportFixture.samples(in: folder)
        let png = try ImageCodec.encodePNG(SampleGrid.draw(samples, iterations: 3))
        return (try ImageCodec.decode(png, name: "figure2.png"), folder)
    }

    /// The pixel on the middle of `label`'s left box edge, in the plain sample (row 0) at `column`.
    func leftEdge(of label: PoseInstance, column: Int) -> (x: Int, y: Int) {
        let origin = SampleGrid(rows: 2, columns: 3).cellOrigin(row: 0, column: column)
        let fit = SampleGrid.fitted(width: 100, height: 80)
        let x = origin.x + fit.x + Int((label.box.minX * Double(fit.width)).rounded(.down))
        let y = origin.y + fit.y + Int((label.box.centerY * Double(fit.height)).rounded(.down))
        return (x, y)
    }

    @Test func `an EXIF-turned photo is drawn upright with its labels where the upright one has them`() throws {
        let folder = try ReportFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = SynthDataset.Options()
        (options.imageSize, options.faces) = (256, 2...2)
        let sample = try SynthDataset.sample(1, options: options)
        let upright = sample.image.cropped(x: 0, y: 0, width: 256, height: 200)
        let labels = [sample.truth.map { FigureSample.Label(instance: $0.normalised(croppedTo: 200, of: 256), addedBy: nil) }]
        let (plain, turned) = (folder.appendingPathComponent("upright.png"), folder.appendingPathComponent("turned.jpg"))
        try ImageCodec.write(upright, to: plain)
        try ImageCodec.encodeJPEG(upright.applying(.left), quality: 100, orientation: .right).write(to: turned)
        let a = try SampleGrid.draw([FigureSample(image: plain, labels: labels)], iterations: 1)
        let b = try SampleGrid.draw([FigureSample(image: turned, labels: labels)], iterations: 1)
        #expect(a.width == b.width && a.height == b.height)
        // the label colour lands on the same pixels
        let colour = bytes(ReportColors.label(addedBy: nil))
        func coloured(_ image: RGBImage) -> Set<Int> {
            Set((0..<(image.width * image.height)).filter { Array(image.pixels[3 * $0..<3 * $0 + 3]) == colour })
        }
        let (x, y) = (coloured(a), coloured(b))
        #expect(x.count > 200 && Double(x.intersection(y).count) / Double(x.union(y).count) > 0.9)
    }

    @Test func `the figure has a column per iteration and a row per sample`() throws {
        let (image, folder) = try figure()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 2 margins of 12 + 3 cells of 256 + 2 gaps of 10; header 56 + 2 × (256 + 16 + 10) + legend 36.
        #expect(image.width == 812 && image.height == 656)
        #expect(SampleGrid.fitted(width: 100, height: 80) == (256, 205, 0, 25))
        #expect(SampleGrid.fitted(width: 96, height: 192) == (128, 256, 64, 0))
    }

    @Test func `original labels keep their colour and generated labels take the colour of the iteration that added them`() throws {
        let (image, folder) = try figure()
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = bytes(ReportColors.label(addedBy: nil))
        let first = bytes(ReportColors.label(addedBy: 1))
        let second = bytes(ReportColors.label(addedBy: 2))
        #expect(Set([original, first, second]).count == 3)
        let grey = [ReportFixture.grey.r, ReportFixture.grey.g, ReportFixture.grey.b]
        for column in 0..<3 {
            let a = leftEdge(of: ReportFixture.original, column: column)
            let b = leftEdge(of: ReportFixture.addedBy1, column: column)
            let c = leftEdge(of: ReportFixture.addedBy2, column: column)
            #expect(pixel(image, a.x, a.y) == original, "original label at iteration \(column)")
            #expect(pixel(image, b.x, b.y) == (column >= 1 ? first : grey), "label added by iteration 1, at iteration \(column)")
            #expect(pixel(image, c.x, c.y) == (column >= 2 ? second : grey), "label added by iteration 2, at iteration \(column)")
        }
    }

    @Test func `no iteration's colour is the originals' colour`() {
        for iteration in 1...20 { #expect(ReportColors.label(addedBy: iteration) != ReportColors.original) }
    }

    @Test func `a sample image that cannot be read is an error naming the file`() throws {
        let missing = FigureSample(image: URL(fileURLWithPath: "/nonexistent/face.png"), labels: [[]])
        #expect {
            try SampleGrid.draw([missing], iterations: 1)
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

    @Test func `every bar has its series' colour and the height of its count`() throws {
        let summary = ReportFixture.summary()
        let image = try ImageCodec.decode(ImageCodec.encodePNG(CountChart.draw(summary)), name: "figure3.png")
        #expect(image.width == 760 && image.height == 440)
        let chart = CountChart(summary)
        for (group, iteration) in summary.iterations.enumerated() {
            for (series, value) in CountChart.values(iteration).enumerated() {
                let (minX, maxX) = chart.bar(group: group, series: series)
                let x = Int((minX + maxX) / 2)
                let top = Int(chart.y(Double(value)).rounded())
                let color = bytes(ReportColors.series[series])
                #expect(pixel(image, x, top + 2) == color, "iteration \(group), series \(series), inside the top")
                #expect(pixel(image, x, Int(CountChart.bottom) - 3) == color, "iteration \(group), series \(series), bottom")
                #expect(pixel(image, x, top - 2) != color, "iteration \(group), series \(series), above the top")
            }
        }
    }
}
