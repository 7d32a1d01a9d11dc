"""The store's queries, one module per aggregate; `db.store.Store` combines them behind one facade."""
