// The path rules of layer extraction: names stay under the root, nothing goes through a link; OCI whiteouts.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension LayerExtractor {
    /// The name's components without empty and `.` ones; nil for the root itself.
    /// - Parameter name: An entry name or hard link target as the tar holds it.
    /// - Returns: The components, or the refusal of an absolute name or a `..` component.
    static func components(of name: String) -> Result<[String]?, LayerEntryRefusal> {
        if name.hasPrefix("/") { return .failure(.absolutePath) }
        let components = name.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        if components.contains("..") { return .failure(.parentReference) }
        return .success(components.isEmpty ? nil : components)
    }

    /// Refuses the path when a directory on its way (not the last component) is a symbolic link in the root.
    func parentRefusal(_ components: [String]) -> LayerEntryRefusal? {
        var path = ""
        for component in components.dropLast() {
            path = path.isEmpty ? component : path + "/" + component
            var info = stat()
            guard lstat(root + "/" + path, &info) == 0 else { return nil }  // missing: made as a directory
            if info.st_mode & S_IFMT == S_IFLNK {
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + path)) ?? "?"
                return .throughSymlink(parent: path, target: target)
            }
        }
        return nil
    }

    /// Whether `relative` is a directory in the root (not a link to one).
    func isDirectory(_ relative: String) -> Bool {
        var info = stat()
        return lstat(root + "/" + relative, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// What `relative` is in the root, in words.
    func kind(of relative: String) -> String {
        var info = stat()
        guard lstat(root + "/" + relative, &info) == 0 else { return "not in the image" }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a directory"
        case S_IFLNK: return "a symbolic link"
        default: return "a special file"
        }
    }

    /// Applies a `.wh.` entry (its parents already checked).
    func applyWhiteout(_ components: [String], layer: String, name: String, state: inout LayerState) throws {
        let base = components.last!
        let parent = components.dropLast().joined(separator: "/")
        let parentPath = parent.isEmpty ? root : root + "/" + parent
        if base == ".wh..wh..opq" {
            // An opaque directory of a layer that does not have the directory is no whiteout of anything.
            if isDirectory(parent) || parent.isEmpty { try removeLower(in: parentPath, relative: parent, state: state, layer: layer, name: name) }
            state.whiteouts += 1
            return
        }
        let hidden = String(base.dropFirst(4))
        guard !base.hasPrefix(".wh..wh."), !hidden.isEmpty, hidden != ".", hidden != ".." else {
            throw LayerExtractionError.refused(layer: layer, entry: name, reason: .whiteoutName(base))
        }
        let relative = parent.isEmpty ? hidden : parent + "/" + hidden
        if !state.written.contains(relative) {
            var info = stat()
            if lstat(root + "/" + relative, &info) == 0 { try remove(root + "/" + relative, layer: layer, name: name) }
        }
        state.whiteouts += 1
    }

    /// Removes what lower layers put in a directory, keeping what this layer wrote (and what lies under it).
    private func removeLower(in directory: String, relative: String, state: LayerState, layer: String, name: String) throws {
        let children: [String]
        do {
            children = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw LayerExtractionError.writeFailed(layer: layer, entry: name, message: "reading \(directory): \(error.localizedDescription)")
        }
        for child in children {
            let childRelative = relative.isEmpty ? child : relative + "/" + child
            if !state.written.contains(childRelative) {
                try remove(directory + "/" + child, layer: layer, name: name)
            } else if isDirectory(childRelative) {
                try removeLower(in: directory + "/" + child, relative: childRelative, state: state, layer: layer, name: name)
            }
        }
    }

    /// Removes a file, link or directory tree without following links (FileManager walks with `FTS_PHYSICAL`).
    private func remove(_ path: String, layer: String, name: String) throws {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw LayerExtractionError.writeFailed(layer: layer, entry: name, message: "whiteout of \(path): \(error.localizedDescription)")
        }
    }
}
