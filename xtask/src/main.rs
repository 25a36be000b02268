//! `cargo xtask`: parses the command line (`cli`) and dispatches; each
//! subcommand is a plain function in its own module.

use clap::Parser;
use std::process::ExitCode;
use xtask::cli::{BenchCmd, Cli, Cmd};
use xtask::tasks;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = xtask::paths::init(cli.target_dir.as_deref()) {
        eprintln!("error: {e:#}");
        return ExitCode::from(2);
    }
    let result = match cli.cmd {
        Cmd::Backport(a) => tasks::backport::run(a),
        Cmd::Build(a) => tasks::build::run(a),
        Cmd::Demo => tasks::demo::run().map(|()| ExitCode::SUCCESS),
        Cmd::Shim => tasks::shim::run(),
        Cmd::Glibc(a) => tasks::glibc::run(a),
        Cmd::Verify(a) if !a.tests.is_empty() => {
            tasks::regress::run(a.regress().expect("tests were given"))
        }
        Cmd::Verify(a) => {
            let json = a.json;
            a.plan().map(|plan| tasks::verify::run(&plan, json))
        }
        Cmd::Dist { json, out_dir } => tasks::dist::run(json, out_dir),
        Cmd::TargetDir => xtask::paths::target_dir().map(|d| {
            println!("{}", d.display());
            ExitCode::SUCCESS
        }),
        Cmd::Docs { check } => tasks::docs::run(check).map(|()| ExitCode::SUCCESS),
        Cmd::Test => tasks::test::run().map(|()| ExitCode::SUCCESS),
        Cmd::ChrootBuild { suites, jobs, json } => tasks::chroot_build::run(&suites, jobs, json),
        Cmd::Fresh {
            suite,
            keep,
            whole_suite,
        } => tasks::fresh::run(&suite, keep, whole_suite).map(|()| ExitCode::SUCCESS),
        Cmd::OperatorHost(a) => tasks::operator_host::run(a),
        Cmd::Regress(a) => tasks::regress::run(a),
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

/// `cargo xtask bench NAME`: one module of `tasks::bench` per bench.
fn bench(cmd: BenchCmd) -> anyhow::Result<()> {
    use xtask::{cli, tasks::bench};
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
        BenchCmd::Stall {
            ks,
            repo,
            upstream,
            glibc217_only,
        } => bench::stall::run(&ks, repo.zip(upstream), glibc217_only),
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
