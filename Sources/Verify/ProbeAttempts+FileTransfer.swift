// The file-transfer proof: ZMODEM through ttyd's WebSocket, as the browser's terminal sees it.
import LabforgeRecipe

extension ProbeAttempts {
    /// In one ttyd session: the preferences ttyd sent on connect enable ZMODEM (`enableZmodem`: the browser's
    /// terminal then answers `sz` with a download and `rz` with an upload dialog); `sz` of a small file the shell
    /// writes emits ZRQINIT and `rz` emits ZRINIT, each aborted (CAN ×8) with the shell answering again after.
    /// - Parameters:
    ///   - hostPort: ttyd's host port.
    ///   - path: Its WebSocket path (`ws`).
    ///   - access: How the terminal authenticates.
    ///   - credentials: The credentials given at boot.
    /// - Returns: The success detail.
    /// - Throws: ``FinalFailure`` when ZMODEM is off in ttyd's options or `sz`/`rz` do not start one (lrzsz
    ///   missing); ``ProbeFailure`` when the terminal does not answer (yet).
    static func fileTransfer(hostPort: Int, path: String, access: AgentAccess.Terminal, credentials: TestCredentials?) async throws -> String {
        let (headers, token) = try terminalLogin(access, credentials: credentials)
        let opening = try await withTtyd(port: hostPort, path: path, headers: headers, token: token) { tty -> String in
            let shell = TtydShell(connection: tty)
            // ttyd sends its title and preferences before any output: once the shell answers they are in.
            let file = try await shell.run("f=$(mktemp /tmp/labforge-zmodem.XXXXXX) && printf 'labforge ZMODEM probe\\n' > \"$f\" && printf %s \"$f\"")
            guard file.status == 0, file.text.hasPrefix("/tmp/labforge-zmodem.") else {
                throw ProbeFailure("could not write a file to send in the terminal's shell (exit \(file.status): \(file.text.prefix(200).debugDescription))")
            }
            guard let preferences = tty.preferences else { throw FinalFailure("ttyd sent no preferences message: not ttyd 1.7's protocol") }
            guard TtydProtocol.enablesZmodem(preferences) else {
                throw FinalFailure("ttyd's client options \(preferences) do not set \(TtydProtocol.zmodemPreference): the browser will not answer sz or rz (ttyd -t \(TtydProtocol.zmodemPreference)=true)")
            }
            let sent = try await zmodemStart(tty, command: "sz \(shellQuoted(file.text))", expecting: .zrqinit)
            let removed = try await shell.run("rm -f \(shellQuoted(file.text))")
            guard removed.status == 0 else { throw ProbeFailure("the shell did not answer after sz was aborted (rm exit \(removed.status): \(removed.text.prefix(200).debugDescription))") }
            let received = try await zmodemStart(tty, command: "rz", expecting: .zrinit)
            return "ttyd preferences \(TtydProtocol.zmodemPreference): true; \(sent); \(received)"
        }
        switch opening {
        case .refused(let status):
            throw ProbeFailure("WebSocket upgrade at /\(path) refused\(status > 0 ? " (HTTP \(status))" : "")")
        case .opened(let detail):
            return detail
        }
    }

    /// Types `command` followed by a marker the shell prints once it returns, waits for `opening`'s header, aborts
    /// the transfer and waits for the marker (the shell is back).
    private static func zmodemStart(_ tty: TtydConnection, command: String, expecting opening: ZmodemFrames.Opening) async throws -> String {
        let nonce = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let marker = "LABFORGE_ZMODEM_\(nonce)_42"
        let start = tty.output.count
        try await tty.send(TtydProtocol.input(" \(command); echo LABFORGE_ZMODEM_\(nonce)_$((6*7))\r"))
        func shellBack(_ output: [UInt8]) -> Bool { String(decoding: output[start...], as: UTF8.self).contains(marker) }
        let started = try await tty.read { ZmodemFrames.contains(opening, in: Array($0[start...])) || shellBack($0) }
        guard started == .found, ZmodemFrames.contains(opening, in: Array(tty.output[start...])) else {
            let why = started == .found ? "it returned without one (is lrzsz installed?)" : "the WebSocket \(started == .closed ? "closed" : "ended")"
            throw FinalFailure("`\(command)` did not start a ZMODEM transfer (no \(opening.rawValue) header): \(why); output: \(tty.tail())")
        }
        try await tty.send(TtydProtocol.input(bytes: ZmodemFrames.abort))
        guard try await tty.read(until: shellBack) == .found else {
            throw ProbeFailure("`\(command)` started ZMODEM (\(opening.rawValue)) but the shell did not answer after the abort; output: \(tty.tail())")
        }
        return "`\(command)` → \(opening.rawValue), aborted, shell back"
    }
}
