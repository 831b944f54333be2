/** Reading `java -version`, to tell a developer without Java 17 what to install before DynamoDB Local fails. */
import { javaVersion } from '../../../local/emulators';

describe('javaVersion', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)', 17, '17.0.15'],
    ['openjdk version "21" 2023-09-19\nOpenJDK Runtime Environment (build 21+35-2513)', 21, '21'],
    ['openjdk version "22-ea" 2024-03-19', 22, '22-ea'],
    ['java version "11.0.2" 2019-01-15 LTS', 11, '11.0.2'],
    ['java version "1.8.0_381"\nJava(TM) SE Runtime Environment (build 1.8.0_381-b09)', 8, '1.8.0_381'],
    ['openjdk version "1.7.0_352"', 7, '1.7.0_352'],
    ['java version "9"', 9, '9'],
    ['Picked up JAVA_TOOL_OPTIONS: -Xmx512m\nopenjdk version "16.0.2" 2021-07-20', 16, '16.0.2'],
  ])('reads %j as Java %i', (output, major, text) => {
    expect(javaVersion(output)).toEqual({ major, text });
  });

  it.each([
    'The operation couldn’t be completed. Unable to locate a Java Runtime.',
    '',
    'Error: Could not create the Java Virtual Machine.',
  ])('finds no version in %j', (output) => {
    expect(javaVersion(output)).toBeUndefined();
  });
});
