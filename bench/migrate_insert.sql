\set user random(1, 1000000)
\set page random(1, 100000)
INSERT INTO :tbl (created_at, payload) VALUES (now(), ('{"user": ' || :user || ', "kind": "view", "page": "/product/' || :page || '", "ref": "campaign-7", "n": 1}')::jsonb);
