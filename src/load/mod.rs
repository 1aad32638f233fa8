//! Load campaigns: profiles as data (`profile`), run with Goose (`engine`),
//! measured (`record`), judged against SLO targets (`judge`) and reported
//! (`report`).

pub mod baseline;
pub mod campaign;
pub mod engine;
pub mod judge;
pub mod profile;
pub mod record;
pub mod report;
