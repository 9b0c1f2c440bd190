import Foundation
import PoseData

/// One table of the report, rendered three ways: CSV with raw numbers (fractions as fractions,
/// missing values as empty cells), and Markdown and HTML as the paper prints them (fractions as
/// percentages with one decimal, missing values as "–").
struct ReportTable: Equatable {
    /// A column: its name in CSV (ASCII, no commas), its heading in Markdown and HTML, and how
    /// its values are shown there.
    struct Column: Equatable {
        var csvName: String
        var heading: String
        var format: Format

        init(_ csvName: String, heading: String? = nil, _ format: Format) {
            self.csvName = csvName
            self.heading = heading ?? csvName
            self.format = format
        }
    }

    /// How a column's numbers are shown in Markdown and HTML.
    enum Format: Equatable {
        /// An integer count.
        case count
        /// A fraction in [0, 1], shown ×100 with this many decimals.
        case percent(decimals: Int)
        /// A plain number with this many decimals.
        case decimal(Int)
        /// Text as it is.
        case text
    }

    /// A cell's value; nil is a missing value.
    enum Value: Equatable {
        case number(Double?)
        case text(String)

        static func count(_ value: Int?) -> Value { .number(value.map(Double.init)) }
    }

    /// The sentence that names the table ("Table 1. …").
    var title: String
    var columns: [Column]
    var rows: [[Value]]

    /// The stand-in for a missing value in Markdown and HTML.
    static let missing = "–"

    // MARK: - Cells

    /// The cell as CSV holds it: integers without a decimal point, other numbers with 6
    /// significant digits, missing values empty.
    static func csvText(_ value: Value) -> String {
        switch value {
        case .number(nil): return ""
        case .number(let number?):
            if number == number.rounded(), abs(number) < 1e15 { return String(Int(number)) }
            return String(format: "%.6g", number)
        case .text(let text): return text
        }
    }

    /// The cell as people read it, in the column's format.
    static func shownText(_ value: Value, as format: Format) -> String {
        switch (value, format) {
        case (.number(nil), _): return missing
        case (.text(let text), _): return text
        case (.number(let number?), .count): return String(Int(number.rounded()))
        case (.number(let number?), .percent(let decimals)): return String(format: "%.\(decimals)f", number * 100)
        case (.number(let number?), .decimal(let decimals)): return String(format: "%.\(decimals)f", number)
        case (.number(let number?), .text): return csvText(.number(number))
        }
    }

    /// Quotes a CSV field when it holds a comma, a quote or a line break (RFC 4180).
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: - Renderings

    /// The CSV lines of the rows (no header), each preceded by `leading` fields.
    func csvRows(leading: [String] = []) -> [String] {
        rows.map { row in (leading + row.map(Self.csvText)).map(Self.csvField).joined(separator: ",") }
    }

    /// The CSV header line, preceded by `leading` names.
    func csvHeader(leading: [String] = []) -> String {
        (leading + columns.map(\.csvName)).map(Self.csvField).joined(separator: ",")
    }

    /// The whole table as CSV, with a header line and a final line break.
    var csv: String { ([csvHeader()] + csvRows()).map { $0 + "\n" }.joined() }

    /// The title in bold, a blank line, and a pipe table with numbers right-aligned.
    var markdown: String {
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
        var lines = ["**\(cell(title))**", ""]
        lines.append("| " + columns.map { cell($0.heading) }.joined(separator: " | ") + " |")
        lines.append("|" + columns.map { $0.format == .text ? " --- " : " ---: " }.joined(separator: "|") + "|")
        for row in rows {
            let cells = zip(row, columns).map { cell(Self.shownText($0, as: $1.format)) }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// An HTML `<table>` with the title as its caption.
    var html: String {
        let escape = HTMLText.escape
        var lines = ["<table>", "<caption>\(escape(title))</caption>"]
        lines.append("<thead><tr>" + columns.map { "<th>\(escape($0.heading))</th>" }.joined() + "</tr></thead>")
        lines.append("<tbody>")
        for row in rows {
            let cells = zip(row, columns).map { value, column in
                let kind = column.format == .text ? " class=\"text\"" : ""
                return "<td\(kind)>\(escape(Self.shownText(value, as: column.format)))</td>"
            }
            lines.append("<tr>" + cells.joined() + "</tr>")
        }
        lines += ["</tbody>", "</table>"]
        return lines.map { $0 + "\n" }.joined()
    }
}
