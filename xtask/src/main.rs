//! `cargo xtask`: parses the command line (`cli`) and dispatches; each
//! subcommand is a plain function in its own module.

use clap::Parser;
use std::process::ExitCode;
use xtask::cli::{BenchCmd, Cli, Cmd};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = xtask::paths::init(cli.target_dir.as_deref()) {
        eprintln!("error: {e:#}");
        return ExitCode::from(2);
    }
    let result = match cli.cmd {
        Cmd::Backport(a) => xtask::tasks::backport(a),
        Cmd::Build(a) => xtask::tasks::build(a),
        Cmd::Demo => xtask::demo::run().map(|()| ExitCode::SUCCESS),
        Cmd::Shim => xtask::shim::build().map(|_| ExitCode::SUCCESS),
        Cmd::Verify(a) if !a.tests.is_empty() => {
            xtask::tasks::regress(a.regress().expect("tests were given"))
        }
        Cmd::Verify(a) => {
            let json = a.json;
            a.plan().map(|plan| xtask::verify::run(&plan, json))
        }
        Cmd::Dist { json, out_dir } => xtask::tasks::dist(json, out_dir),
        Cmd::TargetDir => xtask::paths::target_dir().map(|d| {
            println!("{}", d.display());
            ExitCode::SUCCESS
        }),
        Cmd::Test => xtask::test::run().map(|()| ExitCode::SUCCESS),
        Cmd::ChrootBuild { suites, jobs, json } => xtask::tasks::chroot_build(&suites, jobs, json),
        Cmd::Fresh {
            suite,
            keep,
            whole_suite,
        } => xtask::fresh::run(&suite, keep, whole_suite).map(|()| ExitCode::SUCCESS),
        Cmd::OperatorHost(a) => xtask::tasks::operator_host(a),
        Cmd::Regress(a) => xtask::tasks::regress(a),
        Cmd::Bench(b) => bench(b).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `cargo xtask bench NAME`: one module of `xtask::bench` per bench.
fn bench(cmd: BenchCmd) -> anyhow::Result<()> {
    use xtask::{bench, cli};
    match cmd {
        BenchCmd::Toolchains { suites, jobs } => bench::toolchains::run(&suites, jobs),
        BenchCmd::Build {
            repo,
            base,
            branch,
            jobs,
            warm,
        } => bench::build::run(repo, &base, &branch, jobs, warm),
        BenchCmd::Backport { repo, tags, runs } => {
            bench::backport::run(&cli::full_clone(repo)?, &tags, runs)
        }
        BenchCmd::Shim { rounds } => bench::shim::run(rounds),
        BenchCmd::Regress { jobs } => bench::regress::run(&jobs),
        BenchCmd::Stall { ks, repo, upstream } => bench::stall::run(&ks, repo.zip(upstream)),
        BenchCmd::Lines { repo, tags } => bench::lines::run(&cli::full_clone(repo)?, &tags),
        BenchCmd::HealInfo { entries, rounds } => bench::heal_info::run(entries, rounds),
        BenchCmd::HealAll { volumes, rounds } => bench::heal_all::run(volumes, rounds),
        BenchCmd::Corpus { repo, branch, json } => {
            bench::corpus::run(&cli::full_clone(repo)?, &branch, json)
        }
        BenchCmd::Survey {
            repo,
            base,
            range,
            cap,
            corpus_branch,
        } => bench::survey::run(&cli::full_clone(repo)?, &base, &range, cap, &corpus_branch),
    }
}
