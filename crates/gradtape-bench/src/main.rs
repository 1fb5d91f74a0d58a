//! gradtape's benchmark harness.
//!
//! ```sh
//! cargo run --release -p gradtape-bench -- [--device cpu|vulkan|auto] [--quick]
//!     [--json PATH] [--compare [--python PY]] [--svg PATH] [--markdown PATH]
//!     [--only NAME,...] [--no-candle]
//! ```
//!
//! Runs the standard workloads of benches/peers/peers.py under the same
//! names, and candle (the Rust peer) in this process on the same workloads;
//! prints a table, and with `--compare` also runs peers.py in the same run
//! and prints gradtape's speed ratio against each peer (and an SVG chart).
//! `--only` keeps the workloads whose names start with one of its words.

mod candle;
mod compare;
mod workloads;

use std::collections::BTreeMap;
use std::time::Duration;

use gradtape::{Device, Engine};
use indicatif::{ProgressBar, ProgressStyle};

struct Args {
    device: Device,
    quick: bool,
    json: Option<String>,
    compare: bool,
    python: Option<String>,
    svg: String,
    markdown: Option<String>,
    only: Vec<String>,
    candle: bool,
}

impl Args {
    fn wants(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| name.starts_with(p.as_str()))
    }
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args { device: Device::Auto, quick: false, json: None, compare: false, python: None, svg: "bench-compare.svg".into(), markdown: None, only: Vec::new(), candle: true };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--device" => {
                a.device = match val("--device")?.as_str() {
                    "cpu" => Device::Cpu,
                    "vulkan" => Device::Vulkan,
                    "auto" => Device::Auto,
                    d => return Err(format!("unknown device {d:?}")),
                }
            }
            "--quick" => a.quick = true,
            "--json" => a.json = Some(val("--json")?),
            "--compare" => a.compare = true,
            "--python" => a.python = Some(val("--python")?),
            "--svg" => a.svg = val("--svg")?,
            "--markdown" => a.markdown = Some(val("--markdown")?),
            "--only" => a.only = val("--only")?.split(',').map(str::to_string).collect(),
            "--no-candle" => a.candle = false,
            "-h" | "--help" => {
                println!("usage: gradtape-bench [--device cpu|vulkan|auto] [--quick] [--json PATH] [--compare [--python PY]] [--svg PATH] [--markdown PATH] [--only NAME,...] [--no-candle]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(a)
}

type Run<'a> = Box<dyn Fn(&Engine) -> gradtape::Result<Vec<(&'static str, f64)>> + 'a>;

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("gradtape-bench: {e}");
        std::process::exit(2)
    });
    let engine = Engine::new(args.device).unwrap_or_else(|e| {
        eprintln!("gradtape-bench: {e}");
        std::process::exit(1)
    });
    let quick = args.quick;
    let mut runs: Vec<(&str, Run)> = vec![
        ("tiny_add_us", Box::new(move |e| Ok(vec![("tiny_add_us", workloads::tiny_add_us(e, quick)?)]))),
        ("tiny_add_tape_us", Box::new(move |e| Ok(vec![("tiny_add_tape_us", workloads::tiny_add_tape_us(e, quick)?)]))),
        ("chain1000", Box::new(|e| {
            let (f, b) = workloads::chain1000_us(e)?;
            Ok(vec![("chain1000_fwd_us", f), ("chain1000_bwd_us", b)])
        })),
        ("matmul256_gflops", Box::new(|e| Ok(vec![("matmul256_gflops", workloads::matmul_gflops(e, 256)?)]))),
        ("matmul1024_gflops", Box::new(|e| Ok(vec![("matmul1024_gflops", workloads::matmul_gflops(e, 1024)?)]))),
    ];
    if !quick {
        runs.push(("matmul2048_gflops", Box::new(|e| Ok(vec![("matmul2048_gflops", workloads::matmul_gflops(e, 2048)?)]))));
    }
    for &(name, m, k, n, dt) in workloads::MATMUL_SHAPES {
        if quick && m * k * n > 1 << 27 {
            continue;
        }
        runs.push((name, Box::new(move |e| Ok(vec![(name, workloads::matmul_shape_gflops(e, m, k, n, dt)?)]))));
    }
    runs.push(("add16M_ms", Box::new(|e| Ok(vec![("add16M_ms", workloads::add16m_ms(e)?)]))));
    runs.push(("sum16M_ms", Box::new(|e| Ok(vec![("sum16M_ms", workloads::sum16m_ms(e)?)]))));
    runs.push(("fused16M_ms", Box::new(|e| Ok(vec![("fused16M_ms", workloads::fused16m_ms(e, false)?)]))));
    runs.push(("fused16M_tape_ms", Box::new(|e| Ok(vec![("fused16M_tape_ms", workloads::fused16m_ms(e, true)?)]))));
    runs.push(("mlp_step_ms", Box::new(|e| Ok(vec![("mlp_step_ms", workloads::mlp_step_ms(e)?)]))));
    runs.retain(|(name, _)| args.wants(name));

    println!("gradtape-bench on {} ({} threads)", engine.device_info(), std::thread::available_parallelism().map_or(1, |n| n.get()));
    let bar = ProgressBar::new(runs.len() as u64);
    bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}").expect("internal: a valid template"));
    bar.enable_steady_tick(Duration::from_millis(200));
    let mut results: BTreeMap<String, f64> = BTreeMap::new();
    for (name, run) in &runs {
        bar.set_message(name.to_string());
        match run(&engine) {
            Ok(rs) => results.extend(rs.into_iter().map(|(k, v)| (k.to_string(), v))),
            Err(e) => bar.println(format!("{name}: {e}")),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    let mut peers = Vec::new();
    if args.candle {
        eprintln!("running candle in this process ...");
        peers.push(candle::run(quick, &|name| args.wants(name)));
    }
    if args.compare {
        peers.extend(compare::run_peers(args.python.as_deref(), quick));
    }
    compare::print_table(&results, &peers);
    if args.compare && !peers.is_empty() {
        match compare::write_svg(&args.svg, &results, &peers) {
            Ok(()) => println!("chart: {}", args.svg),
            Err(e) => eprintln!("could not write {}: {e}", args.svg),
        }
    }
    if let Some(path) = &args.markdown {
        let md = compare::markdown(&engine.device_info(), &results, &peers);
        if let Err(e) = std::fs::write(path, md) {
            eprintln!("could not write {path}: {e}");
            std::process::exit(1);
        }
        println!("results: {path}");
    }
    if let Some(path) = args.json {
        let obj: serde_json::Map<String, serde_json::Value> = results.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect();
        if let Err(e) = std::fs::write(&path, serde_json::Value::Object(obj).to_string()) {
            eprintln!("could not write {path}: {e}");
            std::process::exit(1);
        }
    }
}
