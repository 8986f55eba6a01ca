// @tgwf/co2 ships no types for its data entry point; these describe what Greenprint reads.
declare module '@tgwf/co2/data' {
  type YearTable = {
    data: Record<string, { zone: { zoneName: string }; carbonIntensity: { value: number; unit: string } }>;
  };
  export const averageIntensity: { data: Record<string, number>; type: string };
  export const marginalIntensity: { data: Record<string, string>; type: string };
  export const electricityMaps: {
    yearly2021: YearTable;
    yearly2022: YearTable;
    yearly2023: YearTable;
    yearly2024: YearTable;
    yearly2025: YearTable;
  };
}
