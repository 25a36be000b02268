//! Evaluation tools, apart from the production tasks: the demo's and the
//! engine tests' fixture repositories (`fixture`), scratch repositories cut
//! from real upstream history (`history`), and the corpus of upstream
//! cherry-picks the engine is measured against (`corpus`). The benches, the
//! demo and the tests use them; no task's result depends on them.

pub mod corpus;
pub mod fixture;
pub mod history;
