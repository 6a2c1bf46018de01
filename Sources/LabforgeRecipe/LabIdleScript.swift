// The text of the guest's idle and time-limit watcher (lab-idle): count sessions, warn, power off.

/// The `lab-idle` script of a ``LabLifetime``, for one recipe's ports, user and display.
///
/// Seconds are the guest's uptime (`/proc/uptime`): the time limit counts from boot, idleness from the last tick that
/// saw a session (or the service's first tick). Variables for tests only (unset in the image): `LAB_ROOT` prefixes
/// `/run/lab` and `/dev/pts`, `LAB_CLOCK` names a file holding "now" in seconds, `LAB_POWEROFF` replaces
/// `systemctl poweroff`, `LAB_IDLE_ONCE=1` runs one tick and exits (0 stay, 10 stopping).
///
/// A running lab's windows can be changed without a rebuild: each tick reads ``LabLifetime/overridePath`` when it
/// exists and root owns it — lines `idle_stop=N`, `time_limit=N`, `warning=N` (seconds, decimal digits only; `#`
/// comments) — and uses those values instead of the built-in ones; removing the file restores them. The file is
/// parsed, never run: one line that is not such an integer (or an unknown key, or a file another user owns) makes
/// the tick ignore the whole file and say so once in the journal. `idle.json` shows the effective values and
/// `"override": true` while one applies. `labforge verify` shortens the idle window so; a teacher can do the same
/// over the guest agent (`guest-exec` of `sh -c 'printf "idle_stop=3600\n" > /run/lab/idle-override'`).
public struct LabIdleScript: Sendable, Hashable {
    /// Seconds without a session before the power-off (0: never).
    public var idleStopSeconds: Int
    /// Seconds of uptime before the power-off (0: no limit).
    public var timeLimitSeconds: Int
    /// Seconds before a stop when the warnings go out.
    public var warningSeconds: Int
    /// Local ports whose established connections are sessions.
    public var ports: [Int]
    /// The lab user whose terminals and desktop are warned.
    public var user: String
    /// The desktop's X display number, when there is one.
    public var display: Int?
    /// Seconds between ticks.
    public var intervalSeconds: Int

    /// Creates the script's settings (``LabLifetime/script(for:)`` derives them from a recipe).
    /// - Parameters:
    ///   - idleStopSeconds: Seconds without a session before the power-off (0: never).
    ///   - timeLimitSeconds: Seconds of uptime before the power-off (0: none).
    ///   - warningSeconds: Seconds of warning.
    ///   - ports: Ports whose connections are sessions.
    ///   - user: The lab user.
    ///   - display: The desktop's display, if any.
    ///   - intervalSeconds: Seconds between ticks.
    public init(
        idleStopSeconds: Int, timeLimitSeconds: Int, warningSeconds: Int, ports: [Int], user: String, display: Int?, intervalSeconds: Int
    ) {
        self.idleStopSeconds = idleStopSeconds
        self.timeLimitSeconds = timeLimitSeconds
        self.warningSeconds = warningSeconds
        self.ports = ports
        self.user = user
        self.display = display
        self.intervalSeconds = intervalSeconds
    }

    /// The shape of ``LabLifetime/statePath`` (seconds of uptime; null when not applicable).
    public static let stateShape =
        #"{"sessions": 0, "uptime": 130, "idleSince": 120 | null, "stopAt": 1920 | null, "reason": "idle" | "time-limit" | null, "#
        + #""idleStop": 1800, "timeLimit": 14400, "warning": 300, "override": false, "stopping": false, "updatedAt": "2026-01-01T00:00:00Z"}"#

    /// The script (POSIX sh; needs `ss` from iproute2, awk, util-linux's `runuser`).
    public var text: String {
        #"""
        #!/bin/sh
        # Written by labforge: powers this lab off after \#(idleStopSeconds)s with no session (0: never) or at \#(timeLimitSeconds)s
        # of uptime (0: no limit); sessions are established TCP connections to ports\#(ports.map { " \($0)" }.joined()).
        set -u
        root=${LAB_ROOT:-}
        built_idle_stop=\#(idleStopSeconds)
        built_time_limit=\#(timeLimitSeconds)
        built_warning=\#(warningSeconds)
        idle_stop=$built_idle_stop
        time_limit=$built_time_limit
        warning=$built_warning
        overridden=false
        ports=" \#(ports.map(String.init).joined(separator: " ")) "
        user=\#(user)
        display=\#(display.map(String.init) ?? "")
        interval=\#(intervalSeconds)
        poweroff=${LAB_POWEROFF:-systemctl poweroff}
        clock=${LAB_CLOCK:-}
        run=$root/run/lab
        state=$run/idle.json
        memory=$run/idle.vars
        override=$root\#(LabLifetime.overridePath)
        idle_since=
        warned=
        override_said=

        now() { if [ -n "$clock" ]; then cat "$clock"; else cut -d. -f1 /proc/uptime; fi; }
        sessions() {
          ss -Htn state established 2> /dev/null \
            | awk -v ports="$ports" '{ n = split($3, a, ":"); if (index(ports, " " a[n] " ")) c++ } END { print c + 0 }'
        }
        json() { if [ -n "$1" ]; then echo "$1"; else echo null; fi; }

        # Says why the override is ignored, once per content of the file.
        ignore_override() {
          said=$(cksum < "$override" 2> /dev/null)
          [ "$said" = "$override_said" ] && return 0
          override_said=$said
          echo "lab-idle: ignoring $override: $1; keeping idle_stop=$idle_stop time_limit=$time_limit warning=$warning"
        }

        # The windows of this tick: the built-in ones, or those of a root-owned override file (parsed, never run).
        read_override() {
          idle_stop=$built_idle_stop
          time_limit=$built_time_limit
          warning=$built_warning
          overridden=false
          [ -f "$override" ] || { override_said=; return 0; }
          if [ "$(stat -c %u "$override" 2> /dev/null)" != 0 ]; then ignore_override "it is not owned by root"; return 0; fi
          o_idle=$idle_stop
          o_limit=$time_limit
          o_warning=$warning
          while IFS= read -r line || [ -n "$line" ]; do
            case $line in ''|'#'*) continue ;; esac
            key=${line%%=*}
            value=${line#*=}
            case $value in
              0) ;;
              ''|0*|*[!0-9]*|??????????*) ignore_override "\"$line\" is not KEY=SECONDS (decimal digits, no leading zero)"; return 0 ;;
            esac
            case $key in
              idle_stop) o_idle=$value ;;
              time_limit) o_limit=$value ;;
              warning) o_warning=$value ;;
              *) ignore_override "unknown key \"$key\" (idle_stop, time_limit, warning)"; return 0 ;;
            esac
          done < "$override"
          idle_stop=$o_idle
          time_limit=$o_limit
          warning=$o_warning
          overridden=true
          if [ "$override_said" != applied ]; then
            override_said=applied
            echo "lab-idle: $override applies: idle_stop=$idle_stop time_limit=$time_limit warning=$warning"
          fi
        }

        write_state() {
          reason_json=null
          [ -n "$reason" ] && reason_json="\"$reason\""
          printf '{"sessions": %d, "uptime": %d, "idleSince": %s, "stopAt": %s, "reason": %s, "idleStop": %d, "timeLimit": %d, "warning": %d, "override": %s, "stopping": %s, "updatedAt": "%s"}\n' \
            "$count" "$t" "$(json "$idle_since")" "$(json "$stop_at")" "$reason_json" "$idle_stop" "$time_limit" "$warning" "$overridden" "$1" \
            "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$state.$$" && mv -f "$state.$$" "$state"
          printf 'idle_since=%s\nwarned=%s\n' "$idle_since" "$warned" > "$memory"
        }

        warn() {
          message=$1
          echo "lab-idle: $message"
          uid=$(id -u "$user" 2> /dev/null) || uid=
          for pts in "$root"/dev/pts/[0-9]*; do
            [ -e "$pts" ] && [ -n "$uid" ] && [ "$(stat -c %u "$pts")" = "$uid" ] || continue
            timeout 2 sh -c 'printf "\r\n\a*** %s ***\r\n" "$1" >> "$2"' sh "$message" "$pts" || true
          done
          if [ -n "$display" ] && command -v xmessage > /dev/null 2>&1; then
            home=$(getent passwd "$user" | cut -d: -f6)
            DISPLAY=:$display XAUTHORITY=$home/.Xauthority setsid runuser -u "$user" -- \
              timeout "$warning" xmessage -center -buttons OK "$message" > /dev/null 2>&1 &
          fi
        }

        # One look: returns 0 to stay, 1 when the lab is stopping.
        tick() {
          read_override
          t=$(now)
          count=$(sessions)
          if [ "$count" -gt 0 ]; then
            idle_since=
          elif [ -z "$idle_since" ]; then
            idle_since=$t
          fi
          stop_at=
          reason=
          if [ "$idle_stop" -gt 0 ] && [ -n "$idle_since" ]; then
            stop_at=$((idle_since + idle_stop))
            reason=idle
          fi
          if [ "$time_limit" -gt 0 ] && { [ -z "$stop_at" ] || [ "$time_limit" -lt "$stop_at" ]; }; then
            stop_at=$time_limit
            reason=time-limit
          fi
          if [ -n "$stop_at" ] && [ "$t" -ge "$stop_at" ]; then
            write_state true
            if [ "$reason" = idle ]; then
              echo "lab-idle: no session for ${idle_stop}s: powering off"
            else
              echo "lab-idle: the time limit of ${time_limit}s is reached: powering off"
            fi
            return 1
          fi
          if [ -n "$stop_at" ] && [ $((stop_at - t)) -le "$warning" ] && [ "$warned" != "$stop_at" ]; then
            warned=$stop_at
            if [ "$reason" = idle ]; then
              warn "This lab stops in $((stop_at - t)) seconds: nobody has used it for $((t - idle_since)) seconds."
            else
              warn "This lab stops in $((stop_at - t)) seconds: its time limit is reached. Save your work."
            fi
          fi
          write_state false
          return 0
        }

        mkdir -p "$run"
        [ -f "$memory" ] && . "$memory"
        while :; do
          if ! tick; then
            if [ -n "${LAB_IDLE_ONCE:-}" ]; then $poweroff; exit 10; fi
            if $poweroff; then exit 0; fi
            echo "lab-idle: '$poweroff' failed; trying again" >&2
            exit 1
          fi
          [ -n "${LAB_IDLE_ONCE:-}" ] && exit 0
          sleep "$interval"
        done

        """#
    }
}
