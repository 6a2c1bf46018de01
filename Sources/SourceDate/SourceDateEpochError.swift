// The one error of SOURCE_DATE_EPOCH: a value that is not a time.
/// `SOURCE_DATE_EPOCH` is set to something that is not a whole number of seconds.
public enum SourceDateEpochError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The value as found in the environment.
    case malformed(value: String)

    public var description: String {
        switch self {
        case .malformed(let value):
            let shown = value.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
            return "SOURCE_DATE_EPOCH is '\(shown)', not a whole number of seconds since 1970-01-01T00:00:00Z (at most "
                + "\(SourceDateEpoch.maximum)); set it to e.g. $(git log -1 --format=%ct), or unset it"
        }
    }
}
