import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A person known by the identity provider's stable `sub`; created on first sight. */
@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  subject!: string;

  @Column({ type: 'text' })
  username!: string;

  @Column({ name: 'permission_level', type: 'integer', default: 1 })
  permissionLevel!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
