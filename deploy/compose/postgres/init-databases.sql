-- Run by the postgres image once, when its volume is first initialised: the Temporal server's two
-- databases beside Refinery's own (POSTGRES_DB). The schema job (temporal-schema) fills them.
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
