/* backup.h - holos backup DIR: a consistent copy of a SQLite database
 * taken while holos serves it, the data folder's key files and a manifest
 * of what was copied. */
#ifndef HOLOS_BACKUP_H
#define HOLOS_BACKUP_H

/* The key files of a data folder that a backup takes along, in the order
 * they are copied; NULL-terminated. Each is copied when it exists. */
extern const char *const backup_key_files[];

/* Copies the SQLite database db_path (the data folder's holos.db, which
 * holos may be serving) into dest/holos.db with SQLite's online backup API
 * in one read transaction, so the copy is the database as one commit left
 * it; then the key files of data_dir (backup_key_files); then writes
 * dest/MANIFEST (SHA-256, size and name of each file, as sha256sum prints
 * them, after '#' lines saying when and from where). dest is made with
 * mode 0700 when absent; an existing dest must be an empty folder. The
 * files are 0600 and fsync'd. Holds data_dir/rekey.lock meanwhile, so a
 * key rotation cannot change the key files under it. Returns 0, or -1
 * with the reason on stderr (what was written to dest is left there). */
int backup_run(const char *data_dir, const char *db_path, const char *dest);

#endif
