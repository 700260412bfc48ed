/** Serialises everything that re-projects and publishes the index (fine-tune activation, rollback). */
export const INDEX_LOCK = 0x41495358;
