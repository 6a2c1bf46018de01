// The cloud-init NoCloud seed for a verification boot: lab user, random password, fresh SSH key, unique instance-id.
import Archive
import Foundation

/// Per-run credentials and the seed volume that hands them to cloud-init.
public struct NoCloudSeed: Sendable {
    /// The lab user cloud-init creates (or updates, when the image already has it).
    public var userName: String
    /// The generated password (random, only for this boot; never put on a command line).
    public var password: String
    /// Private key file (ed25519, no passphrase) matching the authorized key in the seed.
    public var privateKeyPath: String
    /// The public key line in `user-data`.
    public var publicKey: String
    /// The unique `instance-id` in `meta-data`, so cloud-init treats this boot as a first boot.
    public var instanceID: String
    /// The ISO9660 volume (label `cidata`).
    public var isoPath: String

    /// Generates credentials in `directory` and writes `seed.iso` there.
    /// - Parameters:
    ///   - userName: The lab user.
    ///   - directory: A private scratch directory (the key is written there).
    /// - Returns: The seed.
    /// - Throws: ``VerifyError`` when ssh-keygen or openssl fail or the volume cannot be written.
    public static func create(userName: String, in directory: String) async throws -> NoCloudSeed {
        let keyPath = directory + "/id_ed25519"
        let keygen = try await HostCommand.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "\(userName)@labforge-verify", "-f", keyPath],
            timeout: 30, package: "openssh-client")
        guard keygen.status == 0 else {
            throw VerifyError.toolFailed(command: "ssh-keygen -t ed25519 -f \(keyPath)", status: keygen.status, message: keygen.stderr)
        }
        let publicKey = try String(contentsOfFile: keyPath + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let password = randomToken(length: 20)
        // The password goes through stdin so it never shows in `ps`.
        let hashed = try await HostCommand.run(
            ["openssl", "passwd", "-6", "-stdin"], input: Data((password + "\n").utf8), timeout: 30, package: "openssl")
        let hash = hashed.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard hashed.status == 0, hash.hasPrefix("$6$") else {
            throw VerifyError.toolFailed(command: "openssl passwd -6 -stdin", status: hashed.status, message: hashed.stderr)
        }
        let instanceID = "labforge-verify-\(randomToken(length: 12).lowercased())"
        let seed = NoCloudSeed(
            userName: userName, password: password, privateKeyPath: keyPath, publicKey: publicKey, instanceID: instanceID,
            isoPath: directory + "/seed.iso")
        do {
            try ISO9660Writer.write(
                [
                    ISO9660File(name: "meta-data", contents: Data(seed.metaData.utf8)),
                    ISO9660File(name: "user-data", contents: Data(seed.userData(passwordHash: hash).utf8), mode: 0o600),
                ], to: seed.isoPath, volumeID: "cidata", modificationTime: Int(Date().timeIntervalSince1970))
        } catch {
            throw VerifyError.seed(path: seed.isoPath, message: "\(error)")
        }
        return seed
    }

    /// The `meta-data` document.
    public var metaData: String {
        "instance-id: \(instanceID)\nlocal-hostname: lab\n"
    }

    /// The `user-data` document (`#cloud-config`).
    /// - Parameter passwordHash: The SHA-512 crypt hash of ``password``.
    /// - Returns: YAML text. Values are single-quoted; the hash and key contain no quotes.
    public func userData(passwordHash: String) -> String {
        // `passwd` is ignored (with a warning, exit 2) for a user the image already has, and lab images
        // create their user so services can run as it: the password goes through `chpasswd` instead.
        """
        #cloud-config
        users:
          - name: \(userName)
            gecos: Lab Student
            shell: /bin/bash
            ssh_authorized_keys:
              - '\(publicKey)'
        chpasswd:
          expire: false
          users:
            - name: \(userName)
              password: '\(passwordHash)'
              type: hash
        ssh_pwauth: true

        """
    }

    /// A random string of letters and digits from the system's secure generator.
    static func randomToken(length: Int) -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }
}
