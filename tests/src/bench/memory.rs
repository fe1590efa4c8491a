//! Memory readings from `/proc/<pid>/status`: a benchmark reports its own
//! process's (the server in-process, or a device) and a server process's
//! resident set and its high-water mark.

/// A field of `/proc/<pid>/status` in KiB (`VmRSS:`, `VmHWM:`), if
/// readable.
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// KiB in MiB.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// This process's resident set in MiB, if readable.
pub fn rss_mib() -> Option<f64> {
    status_kib(std::process::id(), "VmRSS:").map(mib)
}

/// A process's resident set and its high-water mark in MiB (0 where
/// unreadable).
pub fn rss_and_peak_mib(pid: u32) -> (f64, f64) {
    let field = |name| mib(status_kib(pid, name).unwrap_or(0));
    (field("VmRSS:"), field("VmHWM:"))
}
