// The in-guest `lab` command of a lab's tasks, as POSIX sh text: the student's view, the root check runner and the
// service loop that answers the requests students drop.

/// The `lab` command for one ``LabTasks``.
///
/// - `lab`: every task with its status (`[x]` done) and the current task's (the first not done) instructions;
/// - `lab check [N]`: checks every task (or task N) and prints each result, exit 0 when all checked passed;
/// - `lab hint [N]`: the current task's (or task N's) hint;
/// - `lab --json`: the results (``resultsShape``);
/// - as root only: `lab solve N` (the task's solve script) and `lab --serve` (the check service's loop).
///
/// A non-root `lab check` creates `<uid>-<pid>-<time>.<all|N>` in ``LabTasks/requestDirectory`` and waits (bounded by
/// ``LabTasks/serviceTimeoutSeconds``) for ``LabTasks/answerDirectory``/`<uid>-<pid>-<time>`: its exit status on the first
/// line, the output after. The service only reads request *names*, never their contents, so a symlink or FIFO dropped
/// there is removed unread. `LAB_ROOT` prefixes every path (tests run the script against a scratch tree; unset in the
/// image).
public struct LabCommand: Sendable, Hashable {
    /// The tasks it serves.
    public var tasks: LabTasks

    /// Creates the command for `tasks`.
    /// - Parameter tasks: The lab's tasks.
    public init(tasks: LabTasks) { self.tasks = tasks }

    /// The shape of ``LabTasks/resultsPath`` (and of `lab --json`): one entry per task, `checkedAt` null until checked.
    public static let resultsShape =
        #"{"tasks": [{"number": 1, "title": "…", "passed": false, "checkedAt": "2026-01-01T00:00:00Z" | null}, …]}"#

    /// The script (POSIX sh; needs coreutils' `timeout`, util-linux's `flock`).
    public var script: String {
        #"""
        #!/bin/sh
        # Written by labforge: the lab's tasks. lab | lab check [N] | lab hint [N] | lab --json; as root: lab solve N.
        set -u
        root=${LAB_ROOT:-}
        share=$root\#(LabTasks.shareDirectory)
        state=$root\#(LabTasks.stateDirectory)
        results=$root\#(LabTasks.resultsPath)
        requests=$root\#(LabTasks.requestDirectory)
        answers=$root\#(LabTasks.answerDirectory)
        count=\#(tasks.tasks.count)
        timeout=\#(tasks.checkTimeoutSeconds)
        wait_limit=\#(tasks.serviceTimeoutSeconds)
        user=\#(tasks.user)

        die() { echo "lab: $*" >&2; exit 2; }
        two() { if [ "$1" -lt 10 ]; then printf '0%d' "$1"; else printf '%d' "$1"; fi; }
        task_dir() { printf '%s/%s' "$share" "$(two "$1")"; }
        is_root() { [ "$(id -u)" -eq 0 ]; }
        status_of() {
          f=$state/state/$(two "$1")
          if [ -f "$f" ]; then cut -d' ' -f1 "$f"; else echo unchecked; fi
        }
        current() {
          n=1
          while [ "$n" -le "$count" ]; do
            [ "$(status_of "$n")" = passed ] || { echo "$n"; return; }
            n=$((n + 1))
          done
          echo 0
        }
        number() {
          case $1 in
            ''|*[!0-9]*) die "\"$1\" is not a task number (tasks 1-$count)" ;;
          esac
          [ "$1" -ge 1 ] && [ "$1" -le "$count" ] || die "there is no task $1 (tasks 1-$count)"
          echo $(($1 + 0))
        }

        results_json() {
          printf '{\n  "tasks": [\n'
          n=1
          while [ "$n" -le "$count" ]; do
            f=$state/state/$(two "$n")
            passed=false
            at=null
            if [ -f "$f" ]; then
              read -r result when < "$f"
              [ "$result" = passed ] && passed=true
              at="\"$when\""
            fi
            sep=,
            [ "$n" -eq "$count" ] && sep=
            printf '    {"number": %d, "title": %s, "passed": %s, "checkedAt": %s}%s\n' \
              "$n" "$(cat "$(task_dir "$n")/title.json")" "$passed" "$at" "$sep"
            n=$((n + 1))
          done
          printf '  ]\n}\n'
        }

        write_results() {
          tmp=$results.$$
          results_json > "$tmp" && chmod 0644 "$tmp" && mv -f "$tmp" "$results"
        }

        # Runs one check as root: records it, prints its line, returns 0 when done.
        run_check() {
          n=$1
          dir=$(task_dir "$n")
          title=$(cat "$dir/title")
          status=0
          (cd / && LAB_TASK=$n LAB_TASK_TITLE=$title LAB_USER=$user timeout -k 5 "$timeout" sh "$dir/check") \
            < /dev/null > /dev/null 2>&1 || status=$?
          when=$(date -u +%Y-%m-%dT%H:%M:%SZ)
          mkdir -p "$state/state"
          if [ "$status" -eq 0 ]; then
            echo "passed $when" > "$state/state/$(two "$n")"
            echo "[x] $n. $title: done"
            return 0
          fi
          echo "failed $when" > "$state/state/$(two "$n")"
          if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
            echo "[ ] $n. $title: not done (the check took longer than ${timeout}s)"
          else
            echo "[ ] $n. $title: not done yet"
          fi
          return 1
        }

        # Runs the checks of "all" or one task as root, one run at a time; exit 0 when every one passed.
        checks() {
          mkdir -p "$state"
          (
            flock 9
            failed=0
            if [ "$1" = all ]; then
              n=1
              while [ "$n" -le "$count" ]; do
                run_check "$n" || failed=1
                n=$((n + 1))
              done
            else
              run_check "$1" || failed=1
            fi
            write_results
            exit "$failed"
          ) 9> "$state/.lock"
        }

        # A student's check: ask the root service and wait for its answer.
        ask() {
          [ -d "$requests" ] || die "$requests is missing: the check service is not set up (systemctl status \#(LabTasks.pathUnitName))"
          id=$(id -u)-$$-$(date +%s)
          : > "$requests/$id.$1" || die "cannot ask for a check in $requests"
          waited=0
          while [ ! -f "$answers/$id" ]; do
            if [ "$waited" -ge $((wait_limit * 2)) ]; then
              rm -f "$requests/$id.$1"
              die "no answer from the check service after ${wait_limit}s (systemctl status \#(LabTasks.serviceUnitName))"
            fi
            sleep 0.5
            waited=$((waited + 1))
          done
          code=$(head -n 1 "$answers/$id")
          tail -n +2 "$answers/$id"
          exit "$code"
        }

        # The check service (root): answers every request in the directory, reading names only.
        serve() {
          is_root || die "--serve is the root check service's"
          mkdir -p "$answers"
          for request in "$requests"/* "$requests"/.[!.]*; do
            [ -e "$request" ] || [ -L "$request" ] || continue
            name=${request##*/}
            rm -f "$request"
            case $name in
              *[!A-Za-z0-9.-]*) continue ;;
            esac
            id=${name%.*}
            what=${name##*.}
            case $id in
              ''|*.*) continue ;;
            esac
            case $what in
              all) ;;
              ''|*[!0-9]*) continue ;;
              *) { [ "$what" -ge 1 ] && [ "$what" -le "$count" ]; } || continue ;;
            esac
            out=$(checks "$what")
            code=$?
            printf '%s\n%s\n' "$code" "$out" > "$answers/.$id" && chmod 0644 "$answers/.$id" && mv -f "$answers/.$id" "$answers/$id"
          done
          find "$answers" -type f -mmin +10 -delete 2> /dev/null || true
        }

        overview() {
          now=$(current)
          n=1
          while [ "$n" -le "$count" ]; do
            mark='[ ]'
            [ "$(status_of "$n")" = passed ] && mark='[x]'
            here=
            [ "$n" -eq "$now" ] && here='   <- now'
            echo "$mark $n. $(cat "$(task_dir "$n")/title")$here"
            n=$((n + 1))
          done
          if [ "$now" -eq 0 ]; then
            echo
            echo "All $count tasks are done."
            return 0
          fi
          echo
          echo "Task $now: $(cat "$(task_dir "$now")/title")"
          echo
          cat "$(task_dir "$now")/instructions.md"
          echo
          echo "When you are done: lab check    Stuck: lab hint"
        }

        hint() {
          dir=$(task_dir "$1")
          if [ -f "$dir/hint" ]; then cat "$dir/hint"; else echo "Task $1 has no hint."; fi
        }

        solve() {
          is_root || die "solve runs as root only (the teacher, over the guest agent)"
          dir=$(task_dir "$1")
          [ -f "$dir/solve" ] || die "task $1 has no solve script"
          (cd / && LAB_TASK=$1 LAB_TASK_TITLE=$(cat "$dir/title") LAB_USER=$user timeout -k 5 "$timeout" sh "$dir/solve") < /dev/null
        }

        case ${1:-} in
          '') overview ;;
          check)
            what=all
            if [ $# -ge 2 ]; then what=$(number "$2") || exit 2; fi
            if is_root; then checks "$what"; else ask "$what"; fi
            ;;
          hint)
            if [ $# -ge 2 ]; then n=$(number "$2") || exit 2; else n=$(current); fi
            if [ "$n" -eq 0 ]; then echo "All tasks are done."; else hint "$n"; fi
            ;;
          solve)
            [ $# -ge 2 ] || die "usage: lab solve N"
            n=$(number "$2") || exit 2
            solve "$n"
            ;;
          --json) results_json ;;
          --serve) serve ;;
          -h|--help|help)
            echo "usage: lab              the tasks and what to do now"
            echo "       lab check [N]    check every task (or task N)"
            echo "       lab hint [N]     a hint for the current task (or task N)"
            echo "       lab --json       the results as JSON"
            ;;
          *) die "unknown command \"$1\" (lab --help)" ;;
        esac

        """#
    }
}
