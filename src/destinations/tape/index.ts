/** Onsite preservation to LTO tape with mt and tar (ONSITE_MEDIUM=tape). */
export { TapeDestination, loadAdvice, type TapeDestinationOptions } from './destination.js';
export { readTapeSettings, isRemoteDevice, type TapeSettings } from './settings.js';
export { TapeDrive, TapeCommandError, type DriveOptions, type TapeErrorKind } from './drive.js';
export { TapeNotReadyError, TapeVerifyError } from './errors.js';
export { readLabel, writeLabel, LABEL_MEMBER, type TapeLabel } from './label.js';
export { loadCatalogue, saveCatalogue, locationsOf, nextIndicator, type Catalogue, type TapeRecord, type TapeFileRecord, type ObjectOnTape } from './catalogue.js';
export { rebuildTapeRecord } from './rebuild.js';
export { TOC_MEMBER, type TableOfContents } from './runFile.js';
export { tapeCommand, type TapeCliOptions } from './cli.js';
