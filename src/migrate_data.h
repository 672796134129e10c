/* migrate_data.h - holos migrate-data: a SQLite database copied into an empty
 * PostgreSQL one, for a site that outgrows one machine. */
#ifndef HOLOS_MIGRATE_DATA_H
#define HOLOS_MIGRATE_DATA_H

/* Brings the PostgreSQL database named by to ("postgres://…") up to date
 * with the migrations in pg_migrations_dir, then copies every table of the
 * SQLite database from ("sqlite:PATH" or PATH) into it in one transaction:
 * rows as they are (ids kept, sealed personal data untouched), the per-node
 * counter rows summed into one row per petition for node "migrated". Refuses
 * a target holding any row and a source at another schema version. Checks
 * row counts and per-petition count sums before committing and prints them
 * on stdout. Returns 0, or -1 with the reason on stderr (nothing written). */
int migrate_data_run(const char *from, const char *to,
    const char *pg_migrations_dir);

#endif
