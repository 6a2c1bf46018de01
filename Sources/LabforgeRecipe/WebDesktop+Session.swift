// What each desktop session installs and how it starts: the same start in a VM (systemd) and in a pod (lab-init).

extension WebDesktop.Session {
    /// The session's packages (installed without recommends).
    ///
    /// `.xfce` is the desktop a student recognizes, picked package by package rather than through the `xfce4`
    /// metapackage (which pulls the PulseAudio panel plugin): the panel with its application menu and clock, the
    /// window manager, the desktop, Thunar, xfce4-terminal, Mousepad and Firefox ESR; no screen locker, screensaver or
    /// power manager is installed, so nothing blanks, locks or asks about power in a VNC session.
    public var packages: [String] {
        switch self {
        case .minimal:
            return ["matchbox-window-manager", "xterm"]
        case .xfce:
            return [
                "xfce4-session", "xfwm4", "xfce4-panel", "xfdesktop4", "xfce4-settings",
                // The default panel's "application finder" launcher and Alt-F2.
                "xfce4-appfinder",
                "thunar", "xfce4-terminal", "mousepad", "firefox-esr",
                // dbus-launch: the session's own D-Bus session bus (no logind, no user manager: a VM's systemd service or a pod).
                "dbus-x11",
                // Xfce's "web browser" is debian-sensible-browser → sensible-browser → x-www-browser, which
                // firefox-esr's alternative (the only browser) answers.
                "sensible-utils",
                // The SVG loader of gdk-pixbuf (Xfce's default wallpaper and many icons are SVG) and the icon
                // theme Xfce's settings name (Tango).
                "librsvg2-common", "tango-icon-theme",
            ]
        }
    }
}

extension WebDesktop {
    /// The Xfce session's start script (``Session/xfce``).
    public static let sessionScriptPath = "\(BootCredentials.scriptDirectory)/lab-desktop-session"

    /// The session unit's runtime directory (`RuntimeDirectory=`; in a pod, made by `lab-init` below its own).
    static let sessionRuntimeDirectory = "lab-desktop-session"

    /// The Xfce session's start script: a D-Bus session bus of its own around `startxfce4`, a private
    /// `XDG_RUNTIME_DIR`, and the panel's default layout without its first-start question.
    public var sessionScript: String {
        [
            "#!/bin/sh",
            "# Written by labforge: the Xfce session for \(user) on the VNC display (DISPLAY=:\(display), set by the unit).",
            "set -eu",
            // No logind session makes /run/user/<uid> for a service (nor in a pod): the unit's runtime directory
            // stands in, private to the user, so GLib, dconf and D-Bus clients find one.
            "export XDG_RUNTIME_DIR=\"${RUNTIME_DIRECTORY:?lab-desktop-session: RUNTIME_DIRECTORY is not set (the unit's RuntimeDirectory=)}\"",
            // Without a panel configuration xfce4-panel asks "use default config or one empty panel?" at the first
            // start; with this variable it takes the default layout (/etc/xdg/xfce4/panel/default.xml) silently.
            "export XFCE_PANEL_MIGRATE_DEFAULT=1",
            "exec /usr/bin/dbus-launch --exit-with-session /usr/bin/startxfce4",
        ].joined(separator: "\n") + "\n"
    }

    /// The session unit's `ExecStart=`.
    var sessionCommand: String {
        switch session {
        case .minimal: return "/bin/sh -c 'xterm -ls & exec matchbox-window-manager -use_titlebar no'"
        case .xfce: return Self.sessionScriptPath
        }
    }

    /// The session unit's `ExecStartPre=`: waits for the X server's socket, as a file in `/tmp/.X11-unix` or as
    /// Linux's abstract socket of the same name. In a pod nothing makes `/tmp/.X11-unix` (no systemd-tmpfiles) and
    /// Xtigervnc, not root, does not make it: it listens on the abstract socket alone, which X clients try first.
    var waitForDisplay: String {
        let socket = "/tmp/.X11-unix/X\(display)"
        return "/bin/sh -c 'for i in $(seq 100); do [ -S \(socket) ] && exit 0; grep -qw @\(socket) /proc/net/unix && exit 0; sleep 0.2; done; exit 1'"
    }

    /// The session's own steps: its start script (Xfce).
    var sessionSteps: [Step] {
        switch session {
        case .minimal: return []
        case .xfce: return [.writeFile(path: Self.sessionScriptPath, contents: sessionScript, mode: 0o755, owner: .root)]
        }
    }
}
