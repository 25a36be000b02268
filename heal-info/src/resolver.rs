//! Reading /etc/resolv.conf: nameservers, timeout and attempts, and the
//! worst case one lookup can wait on them. The diagnosis and the doctor
//! both need it.

#[derive(Debug, Clone, PartialEq)]
pub struct ResolvConf {
    pub nameservers: Vec<String>,
    pub timeout: f64,
    pub attempts: f64,
}

/// glibc's defaults when resolv.conf says nothing: 5 s, 2 attempts.
pub fn parse(text: &str) -> ResolvConf {
    let mut r = ResolvConf {
        nameservers: Vec::new(),
        timeout: 5.0,
        attempts: 2.0,
    };
    for line in text.lines() {
        let mut w = line.split_whitespace();
        match w.next() {
            Some("nameserver") => r.nameservers.extend(w.next().map(String::from)),
            Some("options") => {
                for o in w {
                    if let Some(v) = o.strip_prefix("timeout:") {
                        r.timeout = v.parse().unwrap_or(r.timeout);
                    } else if let Some(v) = o.strip_prefix("attempts:") {
                        r.attempts = v.parse().unwrap_or(r.attempts);
                    }
                }
            }
            _ => {}
        }
    }
    r
}

impl ResolvConf {
    /// timeout x attempts x servers x (A + AAAA): one lookup's worst case.
    pub fn worst_case(&self) -> f64 {
        self.timeout * self.attempts * (self.nameservers.len().max(1) as f64) * 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_case_from_resolv_conf() {
        assert_eq!(
            parse("nameserver 10.0.0.1\noptions timeout:1 attempts:1\n").worst_case(),
            2.0
        );
        assert_eq!(
            parse("nameserver 10.0.0.1\nnameserver 10.0.0.2\n").worst_case(),
            40.0
        );
        assert!(parse("# none\n").nameservers.is_empty());
    }
}
