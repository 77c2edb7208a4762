-- Several roles per user: besides the account's own role at its own customer (users.role,
-- users.customer_id), further roles at other customers of the administrator's tree. A session
-- acts in one of them at a time, the active role (NULL: the account's own).
CREATE TABLE user_roles (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    role        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (user_id, customer_id, role)
);
ALTER TABLE sessions ADD COLUMN role_id BIGINT REFERENCES user_roles (id) ON DELETE SET NULL;
