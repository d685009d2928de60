\set id random(1, 1000000000)
INSERT INTO :tbl (id, ts, payload) VALUES (:id, now(), 'pgbench row');
