//! Reads what upstream's `.t` framework prints under `prove -v`: each
//! `TEST` is `ok N, LINENUM:L` or `not ok N <err>, LINENUM:L`, a failure
//! followed by `FAILED COMMAND: ...` (tests/include.rc's `test_footer`).

use serde::Serialize;

/// One failed `TEST` line of a `.t` file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedTest {
    /// Its number in the test (the TAP number).
    pub number: u32,
    /// Its line in the `.t` file.
    pub line: u32,
    /// The command that failed, as the framework printed it.
    pub command: String,
}

/// The failed TESTs in `output`, in order, and how many TESTs ran.
pub fn read(output: &str) -> (Vec<FailedTest>, u32) {
    let mut failed: Vec<FailedTest> = Vec::new();
    let mut ran = 0;
    for line in output.lines() {
        let line = line.trim_end();
        if let Some(rest) = line.strip_prefix("not ok ") {
            ran += 1;
            let number = rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            failed.push(FailedTest {
                number,
                line: linenum(rest).unwrap_or(0),
                command: String::new(),
            });
        } else if line.starts_with("ok ") && linenum(line).is_some() {
            ran += 1;
        } else if let Some(cmd) = line.strip_prefix("FAILED COMMAND: ") {
            if let Some(last) = failed.last_mut().filter(|f| f.command.is_empty()) {
                last.command = cmd.to_string();
            }
        }
    }
    (failed, ran)
}

fn linenum(s: &str) -> Option<u32> {
    s.rsplit_once("LINENUM:")?.1.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_tests_carry_their_number_line_and_command() {
        // As 3.12.15's tests/include.rc prints them (test_footer).
        let out = "tests/basic/peer-parsing.t ..\n\
                   ok 1, LINENUM:9\n\
                   ok 2, LINENUM:10\n\
                   not ok 7 , LINENUM:31\n\
                   FAILED COMMAND: glusterd\n\
                   not ok 8 Got \"0\" instead of \"1\", LINENUM:32\n\
                   FAILED COMMAND: 1 peer_count\n\
                   Failed 2/8 subtests\n";
        let (failed, ran) = read(out);
        assert_eq!(ran, 4);
        assert_eq!(
            failed,
            [
                FailedTest {
                    number: 7,
                    line: 31,
                    command: "glusterd".into()
                },
                FailedTest {
                    number: 8,
                    line: 32,
                    command: "1 peer_count".into()
                }
            ]
        );
    }
}
