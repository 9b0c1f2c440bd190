import Foundation
import Imaging
import PoseData

/// Colours shared by the report's figures.
enum ReportColors {
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
}

// MARK: - Figure 2

/// Figure 2: the same images (rows) across iterations (columns) with the labels each iteration
/// trained on: original labels in one colour, generated ones in the colour of the iteration that
/// added them, a caption with the counts under each image, and a legend. Each image is embedded
/// once (JPEG), the labels drawn over it as vectors.
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
    /// Room for the title when there are few columns.
    static let minimumWidth = 480

    let rows: Int
    let columns: Int

    init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = max(columns, 1)
    }

    var width: Int { max(2 * Self.margin + columns * Self.cell + (columns - 1) * Self.gap, Self.minimumWidth) }
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

    /// The caption under a sample at one iteration: "3 labels, 2 generated (1 new)".
    static func caption(_ labels: [FigureSample.Label], column: Int) -> String {
        let new = labels.filter { $0.addedBy == column && column > 0 }.count
        let generated = labels.filter { $0.addedBy != nil }.count
        var text = "\(labels.count) label\(labels.count == 1 ? "" : "s")"
        if generated > 0 { text += ", \(generated) generated" }
        if new > 0 { text += " (\(new) new)" }
        return text
    }

    /// The figure; each sample's image is read from its file.
    ///
    /// - Throws: ``ImageError`` naming the file when a sample's image cannot be read.
    static func svg(_ samples: [FigureSample], iterations: Int) throws -> SVGDocument {
        let grid = SampleGrid(rows: samples.count, columns: iterations)
        var figure = SVGDocument(
            width: Double(grid.width), height: Double(grid.height), title: "Figure 2. The same images across iterations")
        figure.text("The same images across iterations", at: Point(Double(margin), 30), size: 18, bold: true)
        for column in 0..<grid.columns {
            figure.text(
                "Iter \(column)", at: Point(Double(grid.cellOrigin(row: 0, column: column).x), Double(header - 8)), size: 15, bold: true)
        }
        for (row, sample) in samples.enumerated() {
            let source = try ImageCodec.decode(contentsOf: sample.image)
            let fit = fitted(width: source.width, height: source.height)
            let id = "sample-\(row)"
            figure.defineImage(
                id, data: try ImageCodec.encodeJPEG(source.resized(width: fit.width, height: fit.height), quality: 90), type: "image/jpeg",
                width: fit.width, height: fit.height)
            for column in 0..<grid.columns {
                let origin = grid.cellOrigin(row: row, column: column)
                let (x, y) = (Double(origin.x), Double(origin.y))
                figure.group([("class", "cell"), ("data-row", "\(row)"), ("data-column", "\(column)")]) { tile in
                    tile.rect(x: x, y: y, width: Double(cell), height: Double(cell), fill: ReportColors.tileBackground)
                    guard column < sample.labels.count else { return }
                    let frame = (x: x + Double(fit.x), y: y + Double(fit.y), width: Double(fit.width), height: Double(fit.height))
                    tile.use(id, x: frame.x, y: frame.y)
                    // generated labels first, so that the originals (which have priority) are on top
                    for label in sample.labels[column].sorted(by: { ($0.addedBy ?? -1) > ($1.addedBy ?? -1) }) {
                        let color = ReportColors.label(addedBy: label.addedBy)
                        tile.group([("class", "label"), ("data-added-by", label.addedBy.map(String.init) ?? "original")]) { drawing in
                            drawing.pose(label.instance, in: frame, color: color, lineWidth: 2, pointRadius: 1.5)
                        }
                    }
                    tile.text(caption(sample.labels[column], column: column), at: Point(x, y + Double(cell) + 13), size: 12)
                }
            }
        }
        if samples.isEmpty { figure.text("No sample images", at: Point(Double(margin), Double(header + cell / 2)), size: 15) }
        let entries =
            [("Original labels", ReportColors.label(addedBy: nil))]
            + (1..<grid.columns).map { ("Added by iter \($0)", ReportColors.label(addedBy: $0)) }
        drawLegend(&figure, entries, x: Double(margin), y: Double(grid.height - legend + 12))
        return figure
    }
}

// MARK: - Figure 3

/// Figure 3: the train, val and total label counts of every iteration as grouped bars, with a
/// value axis, gridlines, tick labels, axis titles and a legend.
struct CountChart {
    static let width = 760.0
    static let height = 440.0
    /// The plot area in pixels (bars stand on `bottom`).
    static let left = 72.0
    static let right = 740.0
    static let top = 70.0
    static let bottom = 376.0
    static let seriesNames = ["train", "val", "total"]

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

    /// The vertical position of a value on the axis.
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

    static func svg(_ summary: RunSummary) -> SVGDocument {
        let chart = CountChart(summary)
        let ink = ReportColors.ink
        var figure = SVGDocument(width: width, height: height, title: "Figure 3. Labels per iteration")
        figure.text("Labels per iteration", at: Point(12, 30), size: 18, bold: true)
        figure.text("labels", at: Point(12, top - 12), size: 13)
        let entries = zip(seriesNames, ReportColors.series).map { ($0, $1) }
        drawLegend(&figure, entries, x: right - 250, y: top - 26)
        var tick = 0.0
        while tick <= chart.axisTop + 1e-9 {
            let row = chart.y(tick).rounded() + 0.5
            if tick > 0 { figure.line(from: Point(left, row), to: Point(right, row), stroke: ReportColors.grid) }
            figure.text(String(Int(tick)), at: Point(left - 8, row + 4), size: 13, anchor: .end)
            tick += chart.step
        }
        for (group, iteration) in summary.iterations.enumerated() {
            for (series, value) in values(iteration).enumerated() {
                let (minX, maxX) = chart.bar(group: group, series: series)
                let barTop = chart.y(Double(value)).rounded()
                if value > 0 {
                    figure.rect(
                        x: minX, y: barTop, width: maxX - minX, height: bottom - barTop, fill: ReportColors.series[series],
                        attributes: [("class", "bar"), ("data-iteration", "\(iteration.index)"), ("data-series", seriesNames[series])])
                }
                figure.text(String(value), at: Point((minX + maxX) / 2, barTop - 4), size: 11, anchor: .middle)
            }
            let (first, _) = chart.bar(group: group, series: 0)
            let (_, last) = chart.bar(group: group, series: seriesNames.count - 1)
            figure.text(String(iteration.index), at: Point((first + last) / 2, bottom + 20), size: 13, anchor: .middle)
        }
        figure.line(from: Point(left, top - 4), to: Point(left, bottom), stroke: ink, lineWidth: 1.5)
        figure.line(from: Point(left, bottom), to: Point(right, bottom), stroke: ink, lineWidth: 1.5)
        figure.text("iteration", at: Point((left + right) / 2, bottom + 44), size: 13, anchor: .middle)
        return figure
    }
}

/// A legend: a 12 × 12 swatch and a name for each entry, left to right from (`x`, `y`).
private func drawLegend(_ figure: inout SVGDocument, _ entries: [(String, Color)], x: Double, y: Double) {
    var x = x
    for (name, color) in entries {
        figure.rect(x: x, y: y, width: 12, height: 12, fill: color)
        figure.text(name, at: Point(x + 18, y + 11), size: 13)
        // about 0.6 em a character in the sans-serif fonts the figure names
        x += 18 + Double(name.count) * 7.8 + 20
    }
}
