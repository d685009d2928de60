\set id random(1, :maxid)
\set page random(1, 100000)
UPDATE :tbl SET payload = ('{"user": 1, "kind": "edit", "page": "/product/' || :page || '", "ref": "campaign-9", "n": 2}')::jsonb WHERE id = :id;
