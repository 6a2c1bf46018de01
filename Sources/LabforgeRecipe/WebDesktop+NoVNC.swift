// The noVNC client's defaults: open connected, fit the desktop to the browser window, reconnect.

extension WebDesktop {
    /// noVNC's defaults file, next to `vnc.html` (noVNC ≥ 1.4 fetches `defaults.json` and `mandatory.json` from there;
    /// Debian 13 packages 1.6.0).
    public static let noVNCDefaultsPath = "/usr/share/novnc/defaults.json"

    /// What ``noVNCDefaultsPath`` holds, by noVNC's setting names (`app/ui.js`):
    ///
    /// - `autoconnect`: the page connects at once (and asks for the VNC password when the server wants one).
    /// - `resize: remote`: the viewer asks the server for the browser window's size (RFB SetDesktopSize, which
    ///   Xtigervnc accepts) at connect and whenever the window changes; these are defaults, not mandatory, so a viewer
    ///   can still pick local scaling in the settings panel.
    /// - `reconnect`: after a dropped connection (a restarted session, a network blip) the page connects again.
    ///
    /// Never a password: the VNC password is the one given at boot, typed by the student.
    public static let noVNCDefaultsJSON = """
        {
          "autoconnect": true,
          "reconnect": true,
          "reconnect_delay": 2000,
          "resize": "remote"
        }

        """
}
