// Reads a boot's serial console for the lines that say it will not boot: the firmware's refusals, GRUB's rescue, a panic.
import LabforgeRecipe

/// What a verification boot's console says about the boot itself (pure: unit-tested on console texts).
public enum BootWatch {
    /// Lines a firmware or boot loader prints before no kernel starts: OVMF refusing an unsigned or revoked loader,
    /// OVMF or SeaBIOS finding nothing to boot, GRUB unable to find its files.
    /// On arm64, AAVMF's own crash (`Synchronous Exception at 0x…`, an `ASSERT` in a debug build) and the kernel's
    /// EFI stub refusing to start are matched too.
    static let firmwareFailures = [
        "Security Violation", "Access Denied", "No bootable option or device was found", "No bootable device",
        "not a bootable disk", "Boot failed", "grub rescue>", "you need to load the kernel first", "bad shim signature",
        "Synchronous Exception at", "ASSERT_EFI_ERROR", "EFI stub: ERROR", shellBanner,
    ]
    /// The UEFI shell's first line: OVMF and AAVMF open it when no boot option started (nothing on the disk they can
    /// load, e.g. an arm64 disk under OVMF), and then wait at its prompt.
    static let shellBanner = "UEFI Interactive Shell"
    /// Whether the console shows a kernel panic (the boot cannot go on).
    /// - Parameter console: The serial console.
    public static func kernelPanicked(_ console: String) -> Bool { console.contains("Kernel panic") }

    /// Lines after which the kernel will not reach user space.
    static let kernelFailures = ["Kernel panic", "VFS: Unable to mount root fs"]
    /// The kernel's first line on the console: from here on the firmware's part is done.
    static let kernelBanner = "Linux version"

    /// Whether the kernel has started.
    /// - Parameter console: The serial console so far.
    public static func kernelStarted(_ console: String) -> Bool { console.contains(kernelBanner) }

    /// The line that shows the boot failed, if there is one: a firmware or boot loader refusal before the kernel's
    /// banner, or a kernel panic after it.
    /// - Parameter console: The serial console so far.
    /// - Returns: The offending line (control characters removed), or nil.
    public static func failure(in console: String) -> String? {
        let beforeKernel = console.range(of: kernelBanner).map { String(console[..<$0.lowerBound]) } ?? console
        let afterKernel = console.range(of: kernelBanner).map { String(console[$0.lowerBound...]) } ?? ""
        for (text, markers) in [(beforeKernel, firmwareFailures), (afterKernel, kernelFailures)] {
            for line in text.split(whereSeparator: \.isNewline) {
                if markers.contains(where: { line.localizedCaseInsensitiveContainsASCII($0) }) { return printable(String(line)) }
            }
        }
        return nil
    }

    /// One line saying the disk did not boot under `firmware` (a refusal, or no kernel), with what the console showed last.
    /// - Parameters:
    ///   - firmware: The firmware.
    ///   - console: The serial console.
    ///   - offending: The line ``failure(in:)`` found, if any.
    /// - Returns: The message.
    ///   - architecture: The VM's architecture (named with the firmware when it is not amd64).
    public static func message(firmware: Firmware, console: String, offending: String?, architecture: Architecture = .amd64) -> String {
        let lines = console.split(whereSeparator: \.isNewline).map { printable(String($0)) }.filter { !$0.isEmpty }
        let last = lines.suffix(3).joined(separator: " | ")
        let name = firmwareName(firmware, architecture: architecture)
        if let offending, offending.contains(shellBanner) {
            let loader = architecture == .arm64 ? "BOOTAA64.EFI" : "BOOTX64.EFI"
            return "did not boot under \(name): the firmware found no boot loader it could start on the disk and opened its shell "
                + "(\(architecture) looks for \\EFI\\BOOT\\\(loader) on the EFI system partition; a disk of another architecture has another; "
                + "console ends: \(last))"
        }
        if let offending { return "did not boot under \(name): \(offending) (console ends: \(last))" }
        return "did not boot under \(name): no kernel started (console ends: \(last.isEmpty ? "nothing printed" : last))"
    }

    /// A firmware as failure messages name it: its display name on amd64 (`UEFI Secure Boot`), with the firmware
    /// image and architecture elsewhere (`UEFI (AAVMF, arm64, TCG)`).
    /// - Parameters:
    ///   - firmware: The firmware.
    ///   - architecture: The VM's architecture.
    /// - Returns: The name.
    public static func firmwareName(_ firmware: Firmware, architecture: Architecture) -> String {
        switch architecture {
        case .amd64: return firmware.displayName
        case .arm64: return "\(firmware.displayName) (AAVMF, arm64, TCG)"
        }
    }

    /// The line without escape sequences and control characters.
    static func printable(_ line: String) -> String {
        var result = ""
        var inEscape = false
        for scalar in line.unicodeScalars {
            if inEscape {
                if (0x40...0x7E).contains(scalar.value) && scalar != "[" { inEscape = false }
                continue
            }
            if scalar.value == 0x1B { inEscape = true; continue }
            if scalar.value >= 0x20 && scalar.value != 0x7F { result.unicodeScalars.append(scalar) }
        }
        return result.trimmingSpaces
    }
}

extension Substring {
    /// Case-insensitive containment for ASCII markers.
    fileprivate func localizedCaseInsensitiveContainsASCII(_ marker: String) -> Bool {
        self.lowercased().contains(marker.lowercased())
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
