// Turns libguestfs C return conventions into Swift values and typed errors.
import CGuestfs

#if canImport(Glibc)
import Glibc
#endif

extension GuestfsError {
    /// The error libguestfs recorded for the last failed call on `handle`.
    static func last(_ handle: OpaquePointer, function: String) -> GuestfsError {
        .call(function: function, message: Appliance.lastError(handle), errno: guestfs_last_errno(handle))
    }
}

extension Appliance {
    static func lastError(_ handle: OpaquePointer) -> String {
        guestfs_last_error(handle).map { String(cString: $0) } ?? "unknown error"
    }

    /// Checks an `int` result where -1 means failure.
    @discardableResult
    func check(_ rc: Int32, _ function: String) throws -> Int32 {
        if rc == -1 { throw GuestfsError.last(handle, function: function) }
        return rc
    }

    /// Checks an `int64_t` result where -1 means failure.
    func check64(_ rc: Int64, _ function: String) throws -> Int64 {
        if rc == -1 { throw GuestfsError.last(handle, function: function) }
        return rc
    }

    /// Takes ownership of a returned `char *` (NULL means failure) and frees it.
    func string(_ pointer: UnsafeMutablePointer<CChar>?, _ function: String) throws -> String {
        guard let pointer else { throw GuestfsError.last(handle, function: function) }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// Takes ownership of a returned NULL-terminated `char **` and frees it.
    func strings(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ function: String) throws -> [String] {
        guard let list else { throw GuestfsError.last(handle, function: function) }
        defer { free(list) }
        var result: [String] = []
        var index = 0
        while let item = list[index] {
            result.append(String(cString: item))
            free(item)
            index += 1
        }
        return result
    }

    /// Turns a returned hash table (`key, value, …, NULL`) into a dictionary.
    func table(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ function: String) throws -> [String: String] {
        let flat = try strings(list, function)
        var result: [String: String] = [:]
        for index in stride(from: 0, to: flat.count - 1, by: 2) {
            result[flat[index]] = flat[index + 1]
        }
        return result
    }

    /// Calls `body` with a NULL-terminated C array of C strings.
    func withCStringArray<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws -> R) rethrows -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { pointers.forEach { free($0) } }
        return try pointers.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }
}
