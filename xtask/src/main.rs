//! `cargo xtask`: parses the command line (`cli`) and dispatches; each
//! subcommand is a plain function in its own module.

use clap::Parser;
use std::process::ExitCode;
use xtask::cli::{BenchCmd, Cli, Cmd};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Backport(a) => xtask::tasks::backport(a),
        Cmd::Build(a) => xtask::tasks::build(a),
        Cmd::Demo => xtask::demo::run().map(|()| ExitCode::SUCCESS),
        Cmd::Shim => xtask::shim::build().map(|_| ExitCode::SUCCESS),
        Cmd::Verify(a) => {
            let json = a.json;
            a.plan().map(|plan| xtask::verify::run(&plan, json))
        }
        Cmd::Dist { json, out_dir } => xtask::tasks::dist(json, out_dir),
        Cmd::Test => xtask::test::run().map(|()| ExitCode::SUCCESS),
        Cmd::Bench(BenchCmd::Build {
            repo,
            base,
            branch,
            jobs,
        }) => xtask::bench::build::run(repo, &base, &branch, jobs).map(|()| ExitCode::SUCCESS),
        Cmd::Bench(BenchCmd::HealInfo { entries, rounds }) => {
            xtask::bench::heal_info(entries, rounds).map(|()| ExitCode::SUCCESS)
        }
        Cmd::Bench(BenchCmd::Lines { repo, tags }) => {
            xtask::bench::lines::run(xtask::cli::named_repo(repo), &tags)
                .map(|()| ExitCode::SUCCESS)
        }
        Cmd::Bench(BenchCmd::Stall { ks, repo, upstream }) => {
            xtask::bench::stall::run(&ks, repo.zip(upstream)).map(|()| ExitCode::SUCCESS)
        }
        Cmd::Bench(BenchCmd::Shim { rounds }) => {
            xtask::bench::shim(rounds).map(|()| ExitCode::SUCCESS)
        }
        Cmd::Bench(BenchCmd::Corpus { repo, branch, json }) => {
            xtask::bench::corpus(xtask::cli::named_repo(repo), &branch, json)
                .map(|()| ExitCode::SUCCESS)
        }
        Cmd::Bench(BenchCmd::Survey {
            repo,
            base,
            range,
            cap,
            corpus_branch,
        }) => xtask::bench::survey(
            xtask::cli::named_repo(repo),
            &base,
            &range,
            cap,
            &corpus_branch,
        )
        .map(|()| ExitCode::SUCCESS),
        Cmd::Bench(BenchCmd::Backport { repo, tags, runs }) => {
            xtask::bench::backport(xtask::cli::named_repo(repo), &tags, runs)
                .map(|()| ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
