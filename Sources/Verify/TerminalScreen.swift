// A text render of a terminal's screen from the bytes a shell wrote: enough of ECMA-48 (cursor moves, erases,
// scrolling) for a prompt and a login banner; colours and other attributes are dropped.

/// A fixed-size character grid fed with terminal output.
public struct TerminalScreen: Sendable, Equatable {
    /// Columns.
    public let columns: Int
    /// Rows.
    public let rows: Int
    private var cells: [[Character]]
    private var row = 0
    private var column = 0

    /// An empty screen.
    /// - Parameters:
    ///   - columns: Width (ttyd's default 80).
    ///   - rows: Height (24).
    public init(columns: Int = 80, rows: Int = 24) {
        self.columns = max(1, columns)
        self.rows = max(1, rows)
        cells = Array(repeating: Array(repeating: " ", count: self.columns), count: self.rows)
    }

    /// The screen as text: one line per row, trailing blanks and blank bottom rows removed.
    public var text: String {
        var lines = cells.map { row in String(row[..<(row.lastIndex { $0 != " " }.map { $0 + 1 } ?? 0)]) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Feeds output bytes (UTF-8 with escape sequences).
    /// - Parameter bytes: What the terminal received.
    public mutating func feed(_ bytes: [UInt8]) {
        var scalars = Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            switch scalar {
            case "\u{1B}":
                guard let next = scalars.popFirst() else { return }
                if next == "[" {
                    var parameters = ""
                    while let c = scalars.popFirst() {
                        if (0x40...0x7E).contains(c.value) { control(c, parameters); break }
                        parameters.unicodeScalars.append(c)
                    }
                } else if next == "]" {  // OSC: up to BEL or ESC \
                    while let c = scalars.popFirst(), c != "\u{07}" {
                        if c == "\u{1B}" { _ = scalars.popFirst(); break }
                    }
                } else if next == "(" || next == ")" {
                    _ = scalars.popFirst()  // character set designation
                }
            case "\r": column = 0
            case "\n": lineFeed()
            case "\u{08}": column = max(0, column - 1)
            case "\t": column = min(columns - 1, (column / 8 + 1) * 8)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: continue
            default:
                if column >= columns {
                    column = 0
                    lineFeed()
                }
                cells[row][column] = Character(scalar)
                column += 1
            }
        }
    }

    private mutating func lineFeed() {
        if row == rows - 1 {
            cells.removeFirst()
            cells.append(Array(repeating: " ", count: columns))
        } else {
            row += 1
        }
    }

    /// A CSI sequence: cursor position and moves, erase in display and line; the rest (colours, modes) ignored.
    private mutating func control(_ final: Unicode.Scalar, _ parameters: String) {
        let numbers = parameters.trimmingPrefix("?").split(separator: ";", omittingEmptySubsequences: false).map { Int($0) }
        func number(_ index: Int, _ fallback: Int) -> Int { index < numbers.count ? (numbers[index] ?? fallback) : fallback }
        let blankRow = Array(repeating: Character(" "), count: columns)
        switch final {
        case "H", "f":
            row = min(rows - 1, max(0, number(0, 1) - 1))
            column = min(columns - 1, max(0, number(1, 1) - 1))
        case "A": row = max(0, row - max(1, number(0, 1)))
        case "B": row = min(rows - 1, row + max(1, number(0, 1)))
        case "C": column = min(columns - 1, column + max(1, number(0, 1)))
        case "D": column = max(0, column - max(1, number(0, 1)))
        case "G": column = min(columns - 1, max(0, number(0, 1) - 1))
        case "J":
            switch number(0, 0) {
            case 0:
                for c in min(column, columns)..<columns { cells[row][c] = " " }
                for r in (row + 1)..<rows { cells[r] = blankRow }
            case 1:
                for r in 0..<row { cells[r] = blankRow }
                for c in 0...min(column, columns - 1) { cells[row][c] = " " }
            default:
                cells = Array(repeating: blankRow, count: rows)
            }
        case "K":
            switch number(0, 0) {
            case 0: for c in min(column, columns)..<columns { cells[row][c] = " " }
            case 1: for c in 0...min(column, columns - 1) { cells[row][c] = " " }
            default: cells[row] = blankRow
            }
        default:
            break
        }
    }
}
