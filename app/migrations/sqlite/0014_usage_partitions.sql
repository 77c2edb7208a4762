-- PostgreSQL partitions its usage records by month here (issue 7, retention). SQLite has no
-- partitions: expiry deletes old records in small batches instead (`usage::retention`).
SELECT 1;
