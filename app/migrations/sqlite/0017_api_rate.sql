-- Requests per API key and minute, counted in the database so that the limit holds across every
-- server process on PostgreSQL (issue 19). SQLite deployments run one process and count in it;
-- the table exists there too so that both schemas stay alike.
CREATE TABLE api_rate_hits (
    key_prefix TEXT NOT NULL,
    minute     BIGINT NOT NULL,
    hits       BIGINT NOT NULL,
    PRIMARY KEY (key_prefix, minute)
);
