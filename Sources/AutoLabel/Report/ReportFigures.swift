import Foundation
import PoseData

/// The report's figures, drawn with ``ImageCanvas``.
enum ReportFigures {
    static let white = Color(1, 1, 1)
    static let ink = Color(0.1, 0.1, 0.1)
    static let grid = Color(0.85, 0.85, 0.85)
    /// Colours of original labels and of the labels each iteration added.
    static func labelColor(addedBy: Int?) -> Color {
        ImageCanvas.palette[(addedBy ?? 0) % ImageCanvas.palette.count]
    }

    /// Figure 3: train, val and total labels per iteration as grouped bars.
    static func labelCounts(_ summary: RunSummary) -> RGBImage {
        let (width, height) = (720, 420)
        var canvas = ImageCanvas(RGBImage(width: width, height: height, fill: (255, 255, 255)))
        let (left, right, top, bottom) = (70.0, 20.0, 50.0, 60.0)
        let series: [(String, (IterationSummary) -> Int)] = [("TRAIN", { $0.train.labels }), ("VAL", { $0.val.labels }), ("TOTAL", { $0.totalLabels })]
        let maximum = max(summary.iterations.map(\.totalLabels).max() ?? 1, 1)
        let step = niceStep(Double(maximum) / 5)
        let top_ = (Double(maximum) / step).rounded(.up) * step
        let plotHeight = Double(height) - top - bottom
        let plotWidth = Double(width) - left - right
        func y(_ value: Double) -> Double { top + plotHeight * (1 - value / top_) }
        canvas.drawText("FIGURE 3. LABELS PER ITERATION", at: Point(left, 14), color: ink, scale: 2)
        var tick = 0.0
        while tick <= top_ + 1e-9 {
            canvas.drawLine(from: Point(left, y(tick)), to: Point(Double(width) - right, y(tick)), color: grid, lineWidth: 1)
            let label = String(Int(tick))
            let size = ImageCanvas.textSize(label, scale: 1)
            canvas.drawText(label, at: Point(left - 8 - Double(size.width), y(tick) - 3), color: ink)
            tick += step
        }
        let groups = max(summary.iterations.count, 1)
        let groupWidth = plotWidth / Double(groups)
        let barWidth = groupWidth * 0.8 / Double(series.count)
        for (g, iteration) in summary.iterations.enumerated() {
            for (s, entry) in series.enumerated() {
                let x0 = left + Double(g) * groupWidth + groupWidth * 0.1 + Double(s) * barWidth
                let value = Double(entry.1(iteration))
                canvas.fillPolygon(
                    [Point(x0, y(value)), Point(x0 + barWidth - 2, y(value)), Point(x0 + barWidth - 2, y(0)), Point(x0, y(0))],
                    color: ImageCanvas.palette[s])
                let label = String(Int(value))
                let size = ImageCanvas.textSize(label)
                canvas.drawText(label, at: Point(x0 + (barWidth - 2 - Double(size.width)) / 2, y(value) - 10), color: ink)
            }
            let name = "ITER \(iteration.index)"
            let size = ImageCanvas.textSize(name, scale: 2)
            canvas.drawText(name, at: Point(left + Double(g) * groupWidth + (groupWidth - Double(size.width)) / 2, y(0) + 8), color: ink, scale: 2)
        }
        canvas.drawLine(from: Point(left, y(0)), to: Point(Double(width) - right, y(0)), color: ink, lineWidth: 2)
        var legendX = left
        for (s, entry) in series.enumerated() {
            canvas.fillPolygon([Point(legendX, Double(height) - 22), Point(legendX + 14, Double(height) - 22), Point(legendX + 14, Double(height) - 8), Point(legendX, Double(height) - 8)], color: ImageCanvas.palette[s])
            canvas.drawText(entry.0, at: Point(legendX + 20, Double(height) - 22), color: ink, scale: 2)
            legendX += 130
        }
        return canvas.image
    }

    /// A round step (1, 2 or 5 × 10ⁿ) at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        let magnitude = pow(10, (log10(max(raw, 1e-9))).rounded(.down))
        return [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    }

    /// Figure 2: the same images (rows) across iterations (columns), original labels in one colour
    /// and each iteration's generated labels in its own.
    static func samples(_ samples: [FigureSample], iterations: Int) throws -> RGBImage {
        let cell = 220
        let (titleHeight, legendHeight, gap) = (40, 34, 6)
        let columns = max(iterations, 1)
        let width = columns * (cell + gap) + gap
        let height = titleHeight + max(samples.count, 1) * (cell + gap) + legendHeight
        var canvas = ImageCanvas(RGBImage(width: width, height: height, fill: (255, 255, 255)))
        canvas.drawText("FIGURE 2. THE SAME IMAGES ACROSS ITERATIONS", at: Point(Double(gap), 6), color: ink, scale: 2)
        for column in 0..<columns {
            canvas.drawText("ITER \(column)", at: Point(Double(gap + column * (cell + gap)), 24), color: ink, scale: 1)
        }
        for (row, sample) in samples.enumerated() {
            let image = try ImageCodec.decode(contentsOf: sample.image)
            let scale = Double(cell) / Double(max(image.width, image.height))
            let fitted = image.resized(width: max(Int(Double(image.width) * scale), 1), height: max(Int(Double(image.height) * scale), 1))
            for column in 0..<min(columns, sample.labels.count) {
                var tile = ImageCanvas(fitted)
                for label in sample.labels[column] {
                    tile.drawPose(label.instance, color: labelColor(addedBy: label.addedBy), lineWidth: 1.5, pointRadius: 1.2)
                }
                paste(tile.image, into: &canvas, x: gap + column * (cell + gap), y: titleHeight + row * (cell + gap))
            }
        }
        var legendX = Double(gap)
        for (index, name) in (["ORIGINAL"] + (1..<max(columns, 1)).map { "ADDED BY ITER \($0)" }).enumerated() {
            let color = labelColor(addedBy: index == 0 ? nil : index)
            let y = Double(height - legendHeight + 10)
            canvas.fillPolygon([Point(legendX, y), Point(legendX + 12, y), Point(legendX + 12, y + 12), Point(legendX, y + 12)], color: color)
            canvas.drawText(name, at: Point(legendX + 16, y + 3), color: ink)
            legendX += Double(ImageCanvas.textSize(name).width) + 40
        }
        return canvas.image
    }

    private static func paste(_ tile: RGBImage, into canvas: inout ImageCanvas, x: Int, y: Int) {
        var image = canvas.image
        for row in 0..<tile.height where y + row < image.height {
            for column in 0..<tile.width where x + column < image.width {
                image[x + column, y + row] = tile[column, row]
            }
        }
        canvas = ImageCanvas(image)
    }
}
