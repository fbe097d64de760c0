import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Server-wide facts kept in the database, such as the encryption key's fingerprint. */
@Entity({ name: 'settings' })
export class Setting {
  @PrimaryColumn({ type: 'text' })
  key!: string;

  @Column({ type: 'text' })
  value!: string;
}
