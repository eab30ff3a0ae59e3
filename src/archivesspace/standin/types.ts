/**
 * Shapes of the stand-in's seed fixture (a JSON file or a `buildSeed` result). Nested like the
 * collection it describes, so a fixture reads as the finding aid it stands for.
 */
export interface Seed {
  /** Free text for people reading the fixture. */
  _comment?: string;
  /** Accounts that may log in; admin/admin when absent. */
  users?: { username: string; password: string }[];
  repositories: SeedRepository[];
}

export interface SeedRepository {
  id: number;
  repo_code: string;
  name: string;
  resources?: SeedResource[];
  top_containers?: SeedTopContainer[];
  container_profiles?: SeedContainerProfile[];
  digital_objects?: SeedDigitalObject[];
}

export interface SeedResource {
  id?: number;
  id_0: string;
  id_1?: string;
  id_2?: string;
  id_3?: string;
  title: string;
  level?: string;
  publish?: boolean;
  notes?: unknown[];
  dates?: unknown[];
  extents?: unknown[];
  children?: SeedArchivalObject[];
}

export interface SeedArchivalObject {
  id?: number;
  title?: string;
  level: string;
  component_id?: string;
  publish?: boolean;
  dates?: unknown[];
  extents?: unknown[];
  notes?: unknown[];
  /** Indicator of a top container of this repository: adds a container instance for it. */
  top_container?: string;
  /** digital_object_id of a seeded digital object: adds a digital-object instance for it. */
  digital_object?: string;
  /** Any other instances, as ArchivesSpace JSON. */
  instances?: unknown[];
  children?: SeedArchivalObject[];
}

export interface SeedTopContainer {
  id?: number;
  indicator: string;
  type?: string;
  barcode?: string;
  /** Name of a seeded container profile. */
  container_profile?: string;
}

export interface SeedContainerProfile {
  id?: number;
  name: string;
  extent_dimension?: string;
  dimension_units?: string;
  width?: string;
  height?: string;
  depth?: string;
}

export interface SeedDigitalObject {
  id?: number;
  digital_object_id: string;
  title: string;
  publish?: boolean;
  file_versions?: unknown[];
  components?: { component_id?: string; label?: string; title?: string; file_versions?: unknown[] }[];
}

/** Editable enumerations the stand-in validates file versions against. */
export interface StandInEnums {
  use_statement: string[];
  file_format_name: string[];
}
