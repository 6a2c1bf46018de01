// A libguestfs handle: configure drives, launch the appliance (KVM, else TCG), shut it down.
import CGuestfs
import struct Foundation.UUID
import Hypervisor
import Logging
import ProcessRunner

/// How a disk is attached to the appliance.
public struct Drive: Sendable, Equatable {
    /// Disk image formats labforge hands to libguestfs. Always explicit: probing formats is unsafe.
    public enum Format: String, Sendable {
        case qcow2
        case raw
    }

    /// Path of the disk image on the host.
    public var path: String
    /// Its format.
    public var format: Format
    /// Attach read-only (libguestfs then writes to a throwaway overlay, never to the file).
    public var readOnly: Bool

    /// Creates a drive description.
    /// - Parameters:
    ///   - path: Path of the disk image on the host.
    ///   - format: Its format; never probed.
    ///   - readOnly: Whether the disk must not be written.
    public init(path: String, format: Format, readOnly: Bool) {
        self.path = path
        self.format = format
        self.readOnly = readOnly
    }
}

/// The appliance's size and network, set before launch.
public struct ApplianceSettings: Sendable, Equatable {
    /// Memory in MiB; package managers want at least 1024.
    public var memoryMiB: Int32?
    /// Virtual CPUs.
    public var cpus: Int32?
    /// User-mode network (needed to reach package mirrors).
    public var network: Bool
    /// Seconds a launch under KVM may take before it is retried under TCG; nil for ``Accelerator/applianceLaunchTimeout``.
    public var kvmLaunchTimeout: Double?
    /// The qemu binary libguestfs runs; nil for its default (tests put a wrapper here).
    public var hypervisor: String?

    /// Creates settings; `nil` leaves libguestfs' default.
    /// - Parameters:
    ///   - memoryMiB: Memory in MiB.
    ///   - cpus: Virtual CPUs.
    ///   - network: Whether the appliance gets a network.
    ///   - kvmLaunchTimeout: Seconds a KVM launch may take, nil for the accelerator's limit.
    ///   - hypervisor: The qemu binary, nil for libguestfs' default.
    public init(memoryMiB: Int32? = nil, cpus: Int32? = nil, network: Bool = false, kvmLaunchTimeout: Double? = nil, hypervisor: String? = nil) {
        self.memoryMiB = memoryMiB
        self.cpus = cpus
        self.network = network
        self.kvmLaunchTimeout = kvmLaunchTimeout
        self.hypervisor = hypervisor
    }
}

/// One libguestfs handle and the appliance it launches.
///
/// This is the only type that holds a `guestfs_h`. It is not thread-safe: use one appliance from one
/// task at a time, and one appliance per concurrent build.
public final class Appliance: @unchecked Sendable {
    /// The raw handle; only extensions in this module use it.
    private(set) var handle: OpaquePointer
    private var drives: [Drive] = []
    private let settings: ApplianceSettings
    private let logger: Logger
    private let choice: AcceleratorChoice
    /// On the appliance kernel's command line, so the launch watchdog and an interrupt (`RunningChildren`) find this
    /// handle's qemu and no other process.
    private let launchMarker = "labforge.launch=\(UUID().uuidString)"
    private let output: ApplianceOutput
    private var events: EventContext
    /// The accelerator the running appliance was launched with.
    public private(set) var accelerator: Accelerator = .tcg

    /// Creates a handle. Nothing starts until ``launch()``.
    /// - Parameters:
    ///   - settings: Memory, CPUs, network.
    ///   - logger: Where the accelerator choice and a KVM→TCG fallback are reported.
    ///   - applianceOutput: Receives everything qemu, the appliance kernel and guest commands print
    ///     (the build log). `nil` keeps only a tail for error messages.
    ///   - choice: Decides KVM or TCG (the process's own by default).
    /// - Throws: ``GuestfsError/handleCreation``.
    public init(
        settings: ApplianceSettings = ApplianceSettings(), logger: Logger = Logger(label: "labforge.guestfs"),
        applianceOutput: (@Sendable (String) -> Void)? = nil, choice: AcceleratorChoice = .shared
    ) throws {
        self.settings = settings
        self.logger = logger
        self.choice = choice
        self.output = ApplianceOutput(sink: applianceOutput)
        self.events = EventContext(output: output)
        self.handle = try Self.makeHandle(settings: settings, events: events, marker: launchMarker)
        RunningChildren.register(commandLineMarker: launchMarker)
    }

    deinit {
        guestfs_close(handle)
        RunningChildren.unregister(commandLineMarker: launchMarker)
    }

    private static func makeHandle(settings: ApplianceSettings, events: EventContext, marker: String) throws -> OpaquePointer {
        guard let handle = guestfs_create() else { throw GuestfsError.handleCreation }
        // Errors are read with guestfs_last_error and thrown; libguestfs must not print them itself.
        guestfs_set_error_handler(handle, nil, nil)
        events.register(on: handle)
        if let memory = settings.memoryMiB { guestfs_set_memsize(handle, memory) }
        if let cpus = settings.cpus { guestfs_set_smp(handle, cpus) }
        if settings.network { guestfs_set_network(handle, 1) }
        // An unknown kernel parameter is passed on to user space and ignored there; qemu's command line carries it.
        if guestfs_set_append(handle, marker) == -1 { throw GuestfsError.last(handle, function: "set_append") }
        if let hypervisor = settings.hypervisor, guestfs_set_hv(handle, hypervisor) == -1 {
            throw GuestfsError.last(handle, function: "set_hv(\(hypervisor))")
        }
        return handle
    }

    /// Attaches a disk. Call before ``launch()``.
    /// - Parameter drive: The disk and how to attach it.
    /// - Throws: ``GuestfsError/call(function:message:errno:)`` when libguestfs refuses the drive.
    public func add(_ drive: Drive) throws {
        try Self.add(drive, to: handle)
        drives.append(drive)
    }

    private static func add(_ drive: Drive, to handle: OpaquePointer) throws {
        let rc = drive.format.rawValue.withCString { format in
            drive.path.withCString { path in
                "unsafe".withCString { cachemode in
                  "besteffort".withCString { discard in
                    var options = guestfs_add_drive_opts_argv()
                    options.bitmask = LABFORGE_ADD_DRIVE_OPTS_FORMAT | LABFORGE_ADD_DRIVE_OPTS_READONLY
                    options.format = format
                    options.readonly = drive.readOnly ? 1 : 0
                    if !drive.readOnly {
                        // The output is synced and renamed by the caller; per-write flushes only slow TCG down.
                        options.bitmask |= LABFORGE_ADD_DRIVE_OPTS_CACHEMODE
                        options.cachemode = cachemode
                        // Let fstrim in the guest free clusters of the image file (keeps images small).
                        options.bitmask |= LABFORGE_ADD_DRIVE_OPTS_DISCARD
                        options.discard = discard
                    }
                    return guestfs_add_drive_opts_argv(handle, path, &options)
                  }
                }
            }
        }
        if rc == -1 { throw GuestfsError.last(handle, function: "add_drive_opts(\(drive.path))") }
    }

    /// Starts the appliance under the choice's accelerator (``AcceleratorChoice``: KVM after a passed probe,
    /// else TCG). Every launch is bounded (``Accelerator/applianceLaunchTimeout``, or the settings' own limit); a
    /// KVM launch that fails with a KVM error or does not come up in time is retried once under TCG, and the
    /// rest of the process uses TCG.
    /// - Throws: ``GuestfsError/launchFailed(message:applianceTail:)`` with the end of the appliance output,
    ///   ``GuestfsError/launchTimedOut(accelerator:seconds:applianceTail:)``, or a `HypervisorError` when KVM
    ///   was required but failed.
    public func launch() throws {
        // What this launch tries, taken once: a parallel launch may mark KVM broken meanwhile, and this one
        // must still fall back when its own KVM attempt fails.
        let decision = try choice.decide(logger: logger)
        output.sink?("labforge \(decision.summary)\n")
        let attempted = decision.accelerator
        if attempted == .tcg { try forceTCG() }
        let timeout = attempted == .kvm ? settings.kvmLaunchTimeout ?? attempted.applianceLaunchTimeout : attempted.applianceLaunchTimeout
        let failure: String
        switch try launchBounded(seconds: timeout) {
        case .up:
            accelerator = attempted
            return
        case .timedOut:
            guard attempted == .kvm else {
                throw GuestfsError.launchTimedOut(accelerator: attempted.rawValue, seconds: timeout, applianceTail: String(output.tail.suffix(2000)))
            }
            failure = "KVM passed its probe but the libguestfs appliance did not come up under it within \(Int(timeout)) s"
        case .failed(let message):
            let tail = output.tail
            guard attempted == .kvm, Accelerator.isKVMFailure(message + "\n" + tail) else {
                throw GuestfsError.launchFailed(message: message, applianceTail: String(tail.suffix(2000)))
            }
            failure = "KVM passed its probe but qemu failed with it in the libguestfs appliance (\(message))"
        }
        try choice.kvmFailed(failure, logger: logger)
        output.sink?("labforge accelerator: \(failure); retrying under TCG\n")
        // A handle whose launch failed cannot be launched again: rebuild it with the same drives.
        guestfs_close(handle)
        output.clear()
        events = EventContext(output: output)
        handle = try Self.makeHandle(settings: settings, events: events, marker: launchMarker)
        for drive in drives { try Self.add(drive, to: handle) }
        try forceTCG()
        let tcgTimeout = Accelerator.tcg.applianceLaunchTimeout
        switch try launchBounded(seconds: tcgTimeout) {
        case .up:
            accelerator = .tcg
        case .timedOut:
            throw GuestfsError.launchTimedOut(accelerator: Accelerator.tcg.rawValue, seconds: tcgTimeout, applianceTail: String(output.tail.suffix(2000)))
        case .failed(let message):
            throw GuestfsError.launchFailed(message: message, applianceTail: String(output.tail.suffix(2000)))
        }
    }

    private enum LaunchResult {
        case up
        case timedOut
        case failed(String)
    }

    /// One `guestfs_launch` under a watchdog that kills the appliance's qemu after `seconds`.
    private func launchBounded(seconds: Double) throws -> LaunchResult {
        // Not the socket directory: before the launch libguestfs reports only its parent (`/tmp`), which every
        // other child of a test process or a parallel build may have on its command line too.
        let watchdog = LaunchWatchdog(marker: launchMarker, seconds: seconds)
        let rc = guestfs_launch(handle)
        let fired = watchdog.cancel()
        if rc == 0 { return .up }
        return fired ? .timedOut : .failed(Self.lastError(handle))
    }

    private func forceTCG() throws {
        // A bare `force_tcg` entry; `set_backend_setting` would write `force_tcg=`, which is not the flag.
        var current = try strings(guestfs_get_backend_settings(handle), "get_backend_settings")
        guard !current.contains("force_tcg") else { return }
        current.append("force_tcg")
        _ = try withCStringArray(current) { try check(guestfs_set_backend_settings(handle, $0), "set_backend_settings(force_tcg)") }
    }

    /// Receives progress of long calls (upload, download, fill, …) as (done, total) pairs.
    /// - Parameter handler: Called on libguestfs' thread; keep it cheap.
    public func onProgress(_ handler: (@Sendable (UInt64, UInt64) -> Void)?) {
        events.progress = handler
    }

    /// The last lines qemu, the appliance kernel and guest commands printed.
    public var applianceTail: String { output.tail }

    /// Syncs and stops the appliance, reporting write errors (call before using a written disk).
    /// - Throws: ``GuestfsError/call(function:message:errno:)`` when the disk could not be written back.
    public func shutdown() throws {
        try check(guestfs_shutdown(handle), "shutdown")
    }
}

/// Bridges libguestfs events (a C callback with an opaque pointer) to Swift.
final class EventContext: @unchecked Sendable {
    let output: ApplianceOutput
    var progress: (@Sendable (UInt64, UInt64) -> Void)?

    init(output: ApplianceOutput) {
        self.output = output
    }

    func register(on handle: OpaquePointer) {
        let events = UInt64(GUESTFS_EVENT_APPLIANCE | GUESTFS_EVENT_LIBRARY | GUESTFS_EVENT_WARNING | GUESTFS_EVENT_PROGRESS)
        let context = Unmanaged.passUnretained(self).toOpaque()
        guestfs_set_event_callback(handle, { _, opaque, event, _, _, buffer, length, array, arrayLength in
            guard let opaque else { return }
            let context = Unmanaged<EventContext>.fromOpaque(opaque).takeUnretainedValue()
            if event == UInt64(GUESTFS_EVENT_PROGRESS) {
                guard arrayLength >= 4, let array, let progress = context.progress else { return }
                progress(array[2], array[3])
                return
            }
            guard let buffer, length > 0 else { return }
            let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
            context.output.append(String(decoding: bytes, as: UTF8.self))
        }, events, 0, context)
    }
}
