# Checklist source: Production Deployment Guide, "Backup strategy definie"
# and its Backup Strategy table ("PostgreSQL | Hourly | 7 days | pg_dump +
# WAL", "Redis | Hourly | 24 hours | RDB + AOF") (seed 001) — seen on the
# running cluster: the backup CronJobs the profile names (backup_cronjobs)
# really run, succeed and write somewhere.
@cluster @GL-APP-08
Feature: The backups of the data stores really run
  A backup strategy is a CronJob that keeps succeeding. For every CronJob
  the profile names in backup_cronjobs, the cluster must hold it, not
  suspended, with a last successful run no older than twice its
  schedule's period when golive read the cluster (an hourly pg_dump: two
  hours), a last finished Job that did not fail, and the
  PersistentVolumeClaims it writes to, Bound. golive only reads the
  cluster for this item; with no CronJob named, it is not applicable.

  Background:
    Given the workloads of the target

  Scenario: Every backup CronJob succeeded within twice its schedule's period
    Then the check "backup.scheduled" passes
