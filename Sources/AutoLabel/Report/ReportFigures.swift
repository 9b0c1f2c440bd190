import Foundation
import Imaging
import PoseData

/// Colours shared by the report's figures.
enum ReportColors {
    static let paper = Color(1, 1, 1)
    static let ink = Color(0.1, 0.1, 0.1)
    static let grid = Color(0.87, 0.87, 0.87)
    /// Behind an image that does not fill its square.
    static let tileBackground = Color(0.94, 0.94, 0.94)

    /// Original labels in Figure 2.
    static let original = ImageCanvas.palette[0]

    /// The colour of a label in Figure 2: ``original`` for an original label, else one colour per
    /// adding iteration (the rest of the palette, in turn), never the originals' colour.
    static func label(addedBy iteration: Int?) -> Color {
        guard let iteration else { return original }
        let others = ImageCanvas.palette.count - 1
        return ImageCanvas.palette[1 + (max(iteration, 1) - 1) % others]
    }

    /// Figure 3's series: train, val, total.
    static let series = [ImageCanvas.palette[0], ImageCanvas.palette[3], ImageCanvas.palette[2]]

    static func bytes(_ color: Color) -> (r: UInt8, g: UInt8, b: UInt8) {
        func byte(_ value: Double) -> UInt8 { UInt8(min(max((value * 255).rounded(), 0), 255)) }
        return (byte(color.r), byte(color.g), byte(color.b))
    }
}

// MARK: - Figure 2

/// Figure 2: the same images (rows) across iterations (columns) with the labels each iteration
/// trained on: original labels in one colour, generated ones in the colour of the iteration that
/// added them, a caption with the counts under each image, and a legend.
struct SampleGrid {
    /// The side of the square each image is fitted into, in pixels.
    static let cell = 256
    static let gap = 10
    static let margin = 12
    /// The figure's title and the column headings above the first row.
    static let header = 56
    /// The caption under each image.
    static let caption = 16
    static let legend = 36
    static let title = "FIGURE 2. THE SAME IMAGES ACROSS ITERATIONS"

    let rows: Int
    let columns: Int

    init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = max(columns, 1)
    }

    var width: Int {
        let grid = 2 * Self.margin + columns * Self.cell + (columns - 1) * Self.gap
        return max(grid, 2 * Self.margin + ImageCanvas.textSize(Self.title, scale: 2).width)
    }

    var height: Int { Self.header + max(rows, 1) * (Self.cell + Self.caption + Self.gap) + Self.legend }

    /// The top-left pixel of the square that holds the image of `row` at iteration `column`.
    func cellOrigin(row: Int, column: Int) -> (x: Int, y: Int) {
        (Self.margin + column * (Self.cell + Self.gap), Self.header + row * (Self.cell + Self.caption + Self.gap))
    }

    /// The size of an image of `width` × `height` fitted into a cell, keeping its aspect ratio, and
    /// its offset inside the cell (centred).
    static func fitted(width: Int, height: Int) -> (width: Int, height: Int, x: Int, y: Int) {
        let scale = Double(cell) / Double(max(width, height, 1))
        let fittedWidth = min(max(Int((Double(width) * scale).rounded()), 1), cell)
        let fittedHeight = min(max(Int((Double(height) * scale).rounded()), 1), cell)
        return (fittedWidth, fittedHeight, (cell - fittedWidth) / 2, (cell - fittedHeight) / 2)
    }

    /// Draws the figure; each sample's image is read from its file.
    ///
    /// - Throws: ``ImageError`` naming the file when a sample's image cannot be read.
    static func draw(_ samples: [FigureSample], iterations: Int) throws -> RGBImage {
        let grid = SampleGrid(rows: samples.count, columns: iterations)
        var image = RGBImage(width: grid.width, height: grid.height, fill: ReportColors.bytes(ReportColors.paper))
        for (row, sample) in samples.enumerated() {
            let source = try ImageCodec.decode(contentsOf: sample.image)
            let fit = fitted(width: source.width, height: source.height)
            let resized = source.resized(width: fit.width, height: fit.height)
            for column in 0..<grid.columns {
                let origin = grid.cellOrigin(row: row, column: column)
                fill(&image, x: origin.x, y: origin.y, width: cell, height: cell, ReportColors.tileBackground)
                guard column < sample.labels.count else { continue }
                var tile = ImageCanvas(resized)
                // Generated labels first, so the originals (which have priority) are drawn on top.
                let labels = sample.labels[column].sorted { ($0.addedBy ?? -1) > ($1.addedBy ?? -1) }
                for label in labels {
                    tile.drawPose(
                        label.instance, color: ReportColors.label(addedBy: label.addedBy), lineWidth: 2, pointRadius: 1.5)
                }
                paste(tile.image, into: &image, x: origin.x + fit.x, y: origin.y + fit.y)
            }
        }
        var canvas = ImageCanvas(image)
        let ink = ReportColors.ink
        canvas.drawText(title, at: Point(Double(margin), Double(margin)), color: ink, scale: 2)
        for column in 0..<grid.columns {
            let origin = grid.cellOrigin(row: 0, column: column)
            canvas.drawText("ITER \(column)", at: Point(Double(origin.x), Double(header - 20)), color: ink, scale: 2)
        }
        for (row, sample) in samples.enumerated() {
            for column in 0..<min(grid.columns, sample.labels.count) {
                let labels = sample.labels[column]
                let new = labels.filter { $0.addedBy == column && column > 0 }.count
                let generated = labels.filter { $0.addedBy != nil }.count
                var text = "\(labels.count) LABEL\(labels.count == 1 ? "" : "S")"
                if generated > 0 { text += ", \(generated) GENERATED" }
                if new > 0 { text += " (\(new) NEW)" }
                let origin = grid.cellOrigin(row: row, column: column)
                canvas.drawText(text, at: Point(Double(origin.x), Double(origin.y + cell + 5)), color: ink)
            }
        }
        if samples.isEmpty {
            canvas.drawText("NO SAMPLE IMAGES", at: Point(Double(margin), Double(header + cell / 2)), color: ink, scale: 2)
        }
        var x = Double(margin)
        let y = Double(grid.height - legend + 12)
        let entries = [("ORIGINAL LABELS", ReportColors.label(addedBy: nil))]
            + (1..<max(grid.columns, 1)).map { ("ADDED BY ITER \($0)", ReportColors.label(addedBy: $0)) }
        for (name, color) in entries {
            swatch(&canvas, x: x, y: y, color: color)
            canvas.drawText(name, at: Point(x + 18, y - 1), color: ink, scale: 2)
            x += 18 + Double(ImageCanvas.textSize(name, scale: 2).width) + 24
        }
        return canvas.image
    }
}

// MARK: - Figure 3

/// Figure 3: the train, val and total label counts of every iteration as grouped bars, with a
/// value axis, gridlines, tick labels, axis titles and a legend.
struct CountChart {
    static let width = 760
    static let height = 440
    /// The plot area in pixels (bars stand on `bottom`).
    static let left = 72.0
    static let right = 740.0
    static let top = 70.0
    static let bottom = 376.0
    static let title = "FIGURE 3. LABELS PER ITERATION"
    static let seriesNames = ["TRAIN", "VAL", "TOTAL"]

    let groups: Int
    /// The value at the top of the axis: a multiple of `step` at least the largest count.
    let axisTop: Double
    /// The distance between ticks.
    let step: Double

    init(_ summary: RunSummary) {
        groups = summary.iterations.count
        let largest = Double(summary.iterations.map(\.totalLabels).max() ?? 0)
        step = max(Self.niceStep(max(largest, 1) / 5), 1)
        axisTop = max((largest / step).rounded(.up), 1) * step
    }

    /// The three counts of an iteration, in the order of ``seriesNames``.
    static func values(_ iteration: IterationSummary) -> [Int] {
        [iteration.train.labels, iteration.val.labels, iteration.totalLabels]
    }

    /// The pixel row of a value on the axis.
    func y(_ value: Double) -> Double { Self.bottom - (Self.bottom - Self.top) * value / axisTop }

    /// The horizontal extent of the bar of `series` in `group`.
    func bar(group: Int, series: Int) -> (minX: Double, maxX: Double) {
        let groupWidth = (Self.right - Self.left) / Double(max(groups, 1))
        let barWidth = groupWidth * 0.78 / Double(Self.seriesNames.count)
        let minX = Self.left + Double(group) * groupWidth + groupWidth * 0.11 + Double(series) * barWidth
        return (minX.rounded(), (minX + barWidth - 2).rounded())
    }

    /// A round step (1, 2 or 5 × 10ⁿ) at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        let magnitude = pow(10, log10(max(raw, 1e-9)).rounded(.down))
        return [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * (1 - 1e-12) } ?? 10 * magnitude
    }

    static func draw(_ summary: RunSummary) -> RGBImage {
        let chart = CountChart(summary)
        let ink = ReportColors.ink
        var canvas = ImageCanvas(RGBImage(width: width, height: height, fill: ReportColors.bytes(ReportColors.paper)))
        canvas.drawText(title, at: Point(12, 12), color: ink, scale: 2)
        canvas.drawText("LABELS", at: Point(12, top - 26), color: ink, scale: 2)
        // Legend, right-aligned in the band above the plot.
        let entryWidths = seriesNames.map { 18 + Double(ImageCanvas.textSize($0, scale: 2).width) + 20 }
        var x = right - entryWidths.reduce(0, +) + 20
        for (index, name) in seriesNames.enumerated() {
            swatch(&canvas, x: x, y: top - 28, color: ReportColors.series[index])
            canvas.drawText(name, at: Point(x + 18, top - 27), color: ink, scale: 2)
            x += entryWidths[index]
        }
        // Gridlines and tick labels.
        var tick = 0.0
        while tick <= chart.axisTop + 1e-9 {
            let row = chart.y(tick).rounded() + 0.5
            if tick > 0 { canvas.drawLine(from: Point(left, row), to: Point(right, row), color: ReportColors.grid, lineWidth: 1) }
            let label = String(Int(tick))
            let size = ImageCanvas.textSize(label, scale: 2)
            canvas.drawText(label, at: Point(left - 10 - Double(size.width), row - 7), color: ink, scale: 2)
            tick += chart.step
        }
        // Bars, with their values above them where the text fits.
        for (group, iteration) in summary.iterations.enumerated() {
            for (series, value) in values(iteration).enumerated() {
                let (minX, maxX) = chart.bar(group: group, series: series)
                let barTop = chart.y(Double(value)).rounded()
                if value > 0 {
                    canvas.fillPolygon(
                        [Point(minX, barTop), Point(maxX, barTop), Point(maxX, bottom), Point(minX, bottom)],
                        color: ReportColors.series[series])
                }
                let label = String(value)
                let size = ImageCanvas.textSize(label)
                if Double(size.width) <= maxX - minX + 6 {
                    canvas.drawText(label, at: Point(((minX + maxX - Double(size.width)) / 2).rounded(), barTop - 11), color: ink)
                }
            }
            let name = String(iteration.index)
            let size = ImageCanvas.textSize(name, scale: 2)
            let (first, _) = chart.bar(group: group, series: 0)
            let (_, last) = chart.bar(group: group, series: seriesNames.count - 1)
            canvas.drawText(name, at: Point(((first + last - Double(size.width)) / 2).rounded(), bottom + 10), color: ink, scale: 2)
        }
        // Axes.
        canvas.drawLine(from: Point(left, top - 4), to: Point(left, bottom), color: ink, lineWidth: 2)
        canvas.drawLine(from: Point(left, bottom), to: Point(right, bottom), color: ink, lineWidth: 2)
        let axisName = "ITERATION"
        let size = ImageCanvas.textSize(axisName, scale: 2)
        canvas.drawText(axisName, at: Point(((left + right - Double(size.width)) / 2).rounded(), bottom + 36), color: ink, scale: 2)
        return canvas.image
    }
}

// MARK: - Helpers

/// A 12 × 12 legend swatch with its top-left corner at (`x`, `y`).
private func swatch(_ canvas: inout ImageCanvas, x: Double, y: Double, color: Color) {
    canvas.fillPolygon([Point(x, y), Point(x + 12, y), Point(x + 12, y + 12), Point(x, y + 12)], color: color)
}

/// Fills a rectangle of `image`, clipped to it.
private func fill(_ image: inout RGBImage, x: Int, y: Int, width: Int, height: Int, _ color: Color) {
    let (r, g, b) = ReportColors.bytes(color)
    let (x0, x1) = (max(x, 0), min(x + width, image.width))
    guard x0 < x1 else { return }
    for row in max(y, 0)..<max(min(y + height, image.height), max(y, 0)) {
        for column in x0..<x1 {
            let index = (row * image.width + column) * 3
            (image.pixels[index], image.pixels[index + 1], image.pixels[index + 2]) = (r, g, b)
        }
    }
}

/// Copies `tile` into `image` with its top-left pixel at (`x`, `y`), clipped to the image.
private func paste(_ tile: RGBImage, into image: inout RGBImage, x: Int, y: Int) {
    let (x0, x1) = (max(x, 0), min(x + tile.width, image.width))
    guard x0 < x1 else { return }
    for row in max(y, 0)..<max(min(y + tile.height, image.height), max(y, 0)) {
        let source = ((row - y) * tile.width + (x0 - x)) * 3
        let target = (row * image.width + x0) * 3
        let count = (x1 - x0) * 3
        image.pixels.replaceSubrange(target..<target + count, with: tile.pixels[source..<source + count])
    }
}
