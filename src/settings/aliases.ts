/**
 * The later original's names for keys Distillery reads under the 2022 names (its 2024
 * `settings.ini-example`, caltechlibrary/distillery d7d919f): an installation can keep its
 * settings.ini as it is. When both names are present the Distillery name wins; `distillery check`
 * says which old names were read.
 */
export const KEY_ALIASES: Readonly<Record<string, readonly string[]>> = {
  STATUS_FILES: ['PROCESSING_FILES', 'WORK_LOG_FILES', 'WEB_LOG_FILES'],
  STAGE_1_ORIGINAL_FILES: ['INITIAL_ORIGINAL_FILES'],
  LOSSLESS_PRESERVATION_FILES: ['WORK_PRESERVATION_FILES'],
  AWS_ACCESS_KEY: ['DISTILLERY_AWS_ACCESS_KEY_ID'],
  AWS_SECRET_KEY: ['DISTILLERY_AWS_SECRET_ACCESS_KEY'],
  AWS_REGION: ['DISTILLERY_AWS_REGION'],
  EXIFTOOL_CMD: ['WORK_EXIFTOOL_CMD'],
  KDU_COMPRESS_CMD: ['WORK_KDU_COMPRESS_CMD'],
  TESSERACT_CMD: ['WORK_TESSERACT_CMD'],
};

/**
 * The 2024 original's keys for things Distillery does differently, so they are not needed: its
 * RPyC link between the web and work servers (the status folder replaces it), its batch folders,
 * the tools it ran that are now in-process, the tape server's NAS mount and ssh (mt and tar reach
 * the drive), and the oral-histories and resolver features that are not part of Distillery.
 */
export const OBSOLETE_2024_KEYS: readonly string[] = [
  'DISTILLERY_BASE_URL', 'DISTILLERY_BASIC_AUTH_USERNAME', 'DISTILLERY_BASIC_AUTH_PASSWORD', 'WORK_HOSTNAME', 'DISTILLERY_RPYC_PORT',
  'ORALHISTORIES_RPYC_PORT', 'ASPACE_BASIC_AUTH_USERNAME', 'ASPACE_BASIC_AUTH_PASSWORD', 'BATCH_SETS_DIRECTORY', 'WORK_STILLAGE_FILES',
  'WORK_AWS_CMD', 'WORK_CUT_CMD', 'WORK_FFMPEG_CMD', 'WORK_FFPROBE_CMD', 'WORK_GIT_CMD', 'WORK_MAGICK_CMD', 'WORK_PANDOC_CMD', 'WORK_RSYNC_CMD',
  'WORK_SHA512SUM_CMD', 'WORK_NAS_ARCHIVES_MOUNTPOINT', 'NAS_PRESERVATION_FILES_RELATIVE_PATH', 'NAS_IP_ADDRESS', 'NAS_SHARE',
  'ENV_RESET_TEST_DATA', 'ENV_ARCHIVESSPACE_RESET_CMD', 'ARCHIVESSPACE_SSH_HOST', 'ARCHIVESSPACE_SSH_PORT', 'ARCHIVESSPACE_SSH_USER', 'ARCHIVESSPACE_SSH_KEY',
];

/** Key names whose values are secret whatever reads them (never printed). */
export const SECRET_ALIASES: readonly string[] = ['DISTILLERY_AWS_SECRET_ACCESS_KEY', 'DISTILLERY_BASIC_AUTH_PASSWORD', 'ASPACE_BASIC_AUTH_PASSWORD', 'TAPE_NAS_PASS'];
