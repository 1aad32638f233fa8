//! Load campaigns: profiles as data (`profile`), run with Goose (`engine`),
//! measured (`record`) and judged against SLO targets (`judge`).

pub mod engine;
pub mod judge;
pub mod profile;
pub mod record;
