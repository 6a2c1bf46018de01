// Kubernetes resource quantities and the PVC size math (virtual size + filesystem overhead → whole Gi).

/// Kubernetes quantity helpers.
public enum Quantity {
    /// One gibibyte.
    public static let gibibyte: Int64 = 1 << 30

    /// Whether `text` matches the Kubernetes quantity grammar (e.g. `2Gi`, `500m`, `1e3`).
    /// - Parameter text: The quantity.
    /// - Returns: True when the API server would accept it.
    public static func isValid(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "+" || rest.first == "-" { rest = rest.dropFirst() }
        let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1 else { return false }
        let suffix = String(rest.dropFirst(number.count))
        let suffixes: Set<String> = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E"]
        if suffixes.contains(suffix) { return true }
        guard let e = suffix.first, e == "e" || e == "E" else { return false }
        var exponent = suffix.dropFirst()
        if exponent.first == "+" || exponent.first == "-" { exponent = exponent.dropFirst() }
        return !exponent.isEmpty && exponent.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The PVC size for a disk: virtual size divided by (1 − overhead), rounded up to whole Gi
    /// (the way CDI reserves room for the filesystem holding `disk.img`).
    /// - Parameters:
    ///   - virtualSize: The disk's virtual size in bytes.
    ///   - filesystemOverhead: The overhead fraction, e.g. 0.055.
    /// - Returns: Whole gibibytes, at least 1.
    public static func storageGibibytes(virtualSize: Int64, filesystemOverhead: Double) -> Int64 {
        // Parts per million keep the arithmetic exact in integers; full-width math keeps 100 TiB disks from overflowing.
        let million: Int64 = 1_000_000
        let ppm = Int64((filesystemOverhead * Double(million)).rounded())
        let usable = million - ppm
        let product = virtualSize.multipliedFullWidth(by: million)
        let (quotient, remainder) = usable.dividingFullWidth(product)
        let bytes = quotient + (remainder > 0 ? 1 : 0)
        let gibibytes = bytes / gibibyte + (bytes % gibibyte > 0 ? 1 : 0)
        return max(1, gibibytes)
    }

    /// `12Gi`.
    /// - Parameter gibibytes: Whole GiB.
    /// - Returns: The quantity string.
    public static func gibibytes(_ gibibytes: Int64) -> String { "\(gibibytes)Gi" }
}
