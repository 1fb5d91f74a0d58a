//! Running the peers (NumPy, PyTorch, TensorFlow) through peers.py in the
//! same run, and presenting the ratios as a table and an SVG chart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One peer's figures, by workload name.
pub struct Peer {
    pub name: String,
    pub version: String,
    pub figures: BTreeMap<String, f64>,
}

fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/peers")
}

/// Runs peers.py with `python` (or the interpreter setup-peers.sh prepares).
pub fn run_peers(python: Option<&str>, quick: bool) -> Vec<Peer> {
    let dir = peers_dir();
    let py = match python {
        Some(p) => p.to_string(),
        None => match Command::new("bash").arg(dir.join("setup-peers.sh")).output() {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
            Ok(o) => {
                eprintln!("setup-peers.sh failed: {}", String::from_utf8_lossy(&o.stderr));
                return Vec::new();
            }
            Err(e) => {
                eprintln!("cannot run setup-peers.sh: {e}");
                return Vec::new();
            }
        },
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut cmd = Command::new(&py);
    cmd.arg(dir.join("peers.py")).arg("--threads").arg(threads.to_string());
    if quick {
        cmd.arg("--quick");
    }
    eprintln!("running the peers with {py} ...");
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("cannot run {py}: {e}");
            return Vec::new();
        }
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.get("skipped").is_none())
        .map(|v| Peer {
            name: v["framework"].as_str().unwrap_or("?").to_string(),
            version: [&v["version"], &v["blas"]].iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", "),
            figures: v
                .as_object()
                .map(|o| o.iter().filter_map(|(k, x)| x.as_f64().filter(|_| k.contains('_')).map(|f| (k.clone(), f))).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// gradtape's speed relative to a peer: > 1 means gradtape is faster.
pub fn speedup(name: &str, ours: f64, theirs: f64) -> f64 {
    if name.ends_with("_gflops") {
        ours / theirs
    } else {
        theirs / ours
    }
}

pub fn print_table(ours: &BTreeMap<String, f64>, peers: &[Peer]) {
    let mut head = format!("{:<20} {:>12}", "workload", "gradtape");
    for p in peers {
        head.push_str(&format!(" {:>12} {:>8}", p.name, "ratio"));
    }
    println!("{head}");
    for (k, v) in ours {
        let mut line = format!("{k:<20} {v:>12.3}");
        for p in peers {
            match p.figures.get(k) {
                Some(t) => line.push_str(&format!(" {t:>12.3} {:>7.2}x", speedup(k, *v, *t))),
                None => line.push_str(&format!(" {:>12} {:>8}", "-", "-")),
            }
        }
        println!("{line}");
    }
    if !peers.is_empty() {
        println!("ratio: gradtape's speed over the peer's (> 1: gradtape is faster)");
    }
}

/// A horizontal bar chart of the ratios, log scale, one group per workload.
pub fn write_svg(path: &str, ours: &BTreeMap<String, f64>, peers: &[Peer]) -> std::io::Result<()> {
    let rows: Vec<(String, String, f64)> = ours
        .iter()
        .flat_map(|(k, v)| peers.iter().filter_map(move |p| p.figures.get(k).map(|t| (k.clone(), p.name.clone(), speedup(k, *v, *t)))))
        .collect();
    let (w, row_h, left) = (760.0, 18.0, 260.0);
    let h = 40.0 + rows.len() as f64 * row_h;
    let x_of = |r: f64| left + (r.log10().clamp(-2.0, 2.0) + 2.0) / 4.0 * (w - left - 20.0);
    let mut s = format!("<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' font-family='sans-serif' font-size='11'>\n");
    s.push_str(&format!("<text x='10' y='16' font-size='13'>gradtape speed / peer speed (log scale, 1x at the line)</text>\n"));
    let one = x_of(1.0);
    s.push_str(&format!("<line x1='{one}' y1='24' x2='{one}' y2='{h}' stroke='#444'/>\n"));
    for (i, (k, p, r)) in rows.iter().enumerate() {
        let y = 28.0 + i as f64 * row_h;
        let x = x_of(*r);
        let (x0, x1) = if x < one { (x, one) } else { (one, x) };
        let color = if *r >= 1.0 { "#2a9d5c" } else { "#d1495b" };
        s.push_str(&format!("<text x='10' y='{}'>{k} vs {p}</text>\n", y + 12.0));
        s.push_str(&format!("<rect x='{x0}' y='{y}' width='{}' height='{}' fill='{color}'/>\n", (x1 - x0).max(1.0), row_h - 4.0));
        s.push_str(&format!("<text x='{}' y='{}'>{r:.2}x</text>\n", x1 + 4.0, y + 12.0));
    }
    s.push_str("</svg>\n");
    std::fs::write(path, s)
}

fn command_line(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd).args(args).output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default()
}

/// The run as a Markdown table, with the machine, date and commit.
pub fn markdown(device: &str, ours: &BTreeMap<String, f64>, peers: &[Peer]) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_else(|| "unknown".into());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut s = String::new();
    s.push_str(&format!(
        "Machine: {cpu}, {threads} threads; gradtape device: {device}\nDate: {}\nCommit: {}\n\n",
        command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        command_line("git", &["rev-parse", "--short", "HEAD"])
    ));
    s.push_str("| workload | gradtape |");
    for p in peers {
        s.push_str(&format!(" {} | ratio |", p.name));
    }
    s.push_str("\n| --- | ---: |");
    for _ in peers {
        s.push_str(" ---: | ---: |");
    }
    s.push('\n');
    for (k, v) in ours {
        s.push_str(&format!("| {k} | {v:.3} |"));
        for p in peers {
            match p.figures.get(k) {
                Some(t) => s.push_str(&format!(" {t:.3} | {:.2}x |", speedup(k, *v, *t))),
                None => s.push_str(" - | - |"),
            }
        }
        s.push('\n');
    }
    s.push_str("\nratio: gradtape's speed over the peer's (> 1: gradtape is faster); `_us`/`_ms` are times (lower is better), `_gflops` rates.\n");
    for p in peers {
        s.push_str(&format!("\n{}: {}", p.name, p.version));
    }
    s.push('\n');
    s
}
