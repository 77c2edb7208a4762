-- Custom roles: a named set of permissions an administrator picks from the permission list.
-- Each narrows a built-in role (`base`): holders keep that role's level (whom they may manage,
-- which dashboard template they get) and only the listed permissions that the base also grants.
-- A role defined at a customer is offered throughout that customer's subtree.
CREATE TABLE custom_roles (
    id          INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    name        TEXT NOT NULL,
    base        TEXT NOT NULL,
    -- permission codes separated by spaces
    perms       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (customer_id, name)
);
ALTER TABLE users ADD COLUMN custom_role_id BIGINT REFERENCES custom_roles (id);
CREATE INDEX users_custom_role ON users (custom_role_id);
