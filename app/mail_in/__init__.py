"""Mail received by Relais: one ingestion (ingest), the pipe command (cli), the « À trier » list
(views)."""
