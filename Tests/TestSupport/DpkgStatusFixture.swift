// A small dpkg database and copyright files for Debian-like test disks: enough for an SBOM to have something to say.

/// Guest files that make a disk look like it has packages installed.
public enum DpkgStatusFixture {
    /// `/var/lib/dpkg/status`: five installed packages, one removed with its configuration kept, one half-configured.
    public static let status = """
        Package: base-files
        Essential: yes
        Status: install ok installed
        Priority: required
        Section: admin
        Installed-Size: 340
        Maintainer: Santiago Vila <sanvila@debian.org>
        Architecture: amd64
        Multi-Arch: foreign
        Version: 13.8
        Description: Debian base system miscellaneous files
         This package contains the basic filesystem hierarchy of a Debian system.

        Package: libc6
        Status: install ok installed
        Priority: optional
        Section: libs
        Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
        Architecture: amd64
        Multi-Arch: same
        Source: glibc
        Version: 2.41-12
        Description: GNU C Library: Shared libraries
         Contains the standard libraries that are used by nearly all programs on
         the system.
        Homepage: https://www.gnu.org/software/libc/libc.html

        Package: libstdc++6
        Status: install ok installed
        Maintainer: Debian GCC Maintainers <debian-gcc@lists.debian.org>
        Architecture: amd64
        Multi-Arch: same
        Source: gcc-14 (14.2.0-19)
        Version: 14.2.0-19
        Description: GNU Standard C++ Library v3

        Package: novnc
        Status: install ok installed
        Maintainer: Debian OpenStack <team+openstack@tracker.debian.org>
        Architecture: all
        Version: 1:1.6.0-1
        Depends: python3-novnc, websockify
        Description: HTML5 VNC client - daemon and programs
        Homepage: https://github.com/novnc/noVNC

        Package: ttyd
        Status: install ok installed
        Maintainer: Boyuan Yang <byang@debian.org>
        Architecture: amd64
        Version: 1.7.7-8+b1
        Source: ttyd (1.7.7-8)
        Description: Share your terminal over the web
        Homepage: https://tsl0922.github.io/ttyd/

        Package: vim-tiny
        Status: deinstall ok config-files
        Maintainer: Debian Vim Maintainers <team+vim@tracker.debian.org>
        Architecture: amd64
        Source: vim
        Version: 2:9.1.1230-2
        Description: Vi IMproved - enhanced vi editor - compact version

        Package: half-done
        Status: install ok half-configured
        Maintainer: Nobody <nobody@example.org>
        Architecture: amd64
        Version: 0.1-1
        Description: a package whose configuration failed

        """

    /// DEP-5 copyright files for ttyd (MIT) and novnc (two licenses, one a choice); base-files' is free text.
    public static let copyrights: [String: String] = [
        "/usr/share/doc/ttyd/copyright": """
            Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
            Upstream-Name: ttyd
            Source: https://github.com/tsl0922/ttyd

            Files: *
            Copyright: 2016-2024 Shuanglei Tao <tsl0922@gmail.com>
            License: Expat

            Files: debian/*
            Copyright: 2020 Boyuan Yang <byang@debian.org>
            License: Expat

            License: Expat
             Permission is hereby granted, free of charge, to any person obtaining a copy
             of this software and associated documentation files (the "Software").

            """,
        "/usr/share/doc/novnc/copyright": """
            Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
            Upstream-Name: noVNC

            Files: *
            Copyright: 2019 The noVNC Authors
            License: MPL-2.0

            Files: vendor/pako/*
            Copyright: 2014 Vitaly Puzrin
            License: MIT or Zlib

            """,
        "/usr/share/doc/base-files/copyright": """
            This is the Debian prepackaged version of the Debian Base System
            Miscellaneous files. These files were written by Ian Murdock.

            """,
    ]

    /// Every guest file above, for ``GuestDiskFixture/makeDebianLikeDisk(at:version:extraFiles:)``.
    public static var files: [String: String] {
        copyrights.merging(["/var/lib/dpkg/status": status]) { $1 }
    }
}
