//! Targets: where the objects under evaluation come from.
pub mod manifests;
pub mod yaml;
