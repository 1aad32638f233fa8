//! Load campaigns: profiles as data (`profile`), run with Goose (`engine`)
//! and judged against SLO targets on what was measured (`record`).

pub mod engine;
pub mod profile;
pub mod record;
